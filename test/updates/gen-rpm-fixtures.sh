#!/bin/bash
# Regenerates the RPM fixture roots test/fixtures/hosts/rpm-* with the real tools (Debian packages rpm,
# createrepo-c, zstd): packages built by rpmbuild (empty payloads, real headers), installed with
# `rpm --justdb` into each root's rpmdb.sqlite, repositories made by createrepo_c and modifyrepo_c and placed
# where dnf 4 (/var/cache/dnf/<repoid>-<hash>/repodata) and dnf 5 (/var/cache/libdnf5/...) keep them.
# Only the repomd.xml <timestamp> of updateinfo is set by sed (modifyrepo_c stamps the current time), and the
# dnf5 fixture's metadata is recompressed with zstd (Fedora's format; Debian's createrepo_c lacks zstd).
# Run from the repository root: bash test/updates/gen-rpm-fixtures.sh
set -euo pipefail
HOSTS="$(cd "$(dirname "$0")/../fixtures/hosts" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" LC_ALL=C.UTF-8
mkdir -p "$HOME" "$WORK/top/SPECS"
echo '%_dbpath /var/lib/rpm' > "$HOME/.rpmmacros"
cat > "$WORK/top/SPECS/t.spec" <<'EOF'
Name: %{pname}
Version: %{pver}
Release: %{prel}
%if 0%{?pepoch}
Epoch: %{pepoch}
%endif
Summary: hostward fixture package
License: MIT
%if "%{parch}" == "noarch"
BuildArch: noarch
%endif
%description
hostward fixture package
%files
EOF

# build NAME [EPOCH:]VERSION-RELEASE ARCH -> path of the rpm
build() {
  local name=$1 evr=$2 arch=$3 epoch=0 vr
  if [[ $evr == *:* ]]; then epoch=${evr%%:*}; vr=${evr#*:}; else vr=$evr; fi
  local ver=${vr%-*} rel=${vr##*-}
  local args=(--define "_topdir $WORK/top" --define "pname $name" --define "pver $ver" --define "prel $rel" --define "pepoch $epoch" --define "parch $arch" --define '_build_id_links none' --define "_tmppath $WORK")
  [[ $arch != noarch ]] && args+=(--target "$arch")
  rpmbuild "${args[@]}" -bb "$WORK/top/SPECS/t.spec" >/dev/null 2>&1
  echo "$WORK/top/RPMS/$arch/$name-$ver-$rel.$arch.rpm"
}

# install ROOT "name evr arch"... into ROOT/var/lib/rpm/rpmdb.sqlite
install_into() {
  local root=$1; shift
  local files=()
  for spec in "$@"; do read -r n e a <<<"$spec"; files+=("$(build "$n" "$e" "$a")"); done
  rm -rf "$root/var/lib/rpm"
  rpm --root "$root" --dbpath /var/lib/rpm -i --nodeps --justdb "${files[@]}" 2>/dev/null
  rm -f "$root/var/lib/rpm/rpmdb.sqlite-shm" "$root/var/lib/rpm/rpmdb.sqlite-wal" "$root/var/lib/rpm/.rpm.lock"
}

# repo DEST_REPODATA REVISION UPDATEINFO_XML|- "name evr arch"...
repo() {
  local dest=$1 rev=$2 ui=$3; shift 3
  local dir="$WORK/repo-$RANDOM"
  mkdir -p "$dir"
  for spec in "$@"; do read -r n e a <<<"$spec"; cp "$(build "$n" "$e" "$a")" "$dir/"; done
  createrepo_c -q --no-database --revision "$rev" --set-timestamp-to-revision "$dir"
  if [[ $ui != - ]]; then
    modifyrepo_c --mdtype=updateinfo "$ui" "$dir/repodata" >/dev/null
    sed -i -E "s|<timestamp>[0-9]+</timestamp>|<timestamp>$rev</timestamp>|" "$dir/repodata/repomd.xml"
  fi
  rm -f "$dir"/repodata/*filelists* "$dir"/repodata/*other*
  # the cache keeps what dnf downloads: repomd.xml, primary, updateinfo (filelists only on demand)
  sed -i -E '/<data type="(filelists|other)">/,/<\/data>/d' "$dir/repodata/repomd.xml"
  rm -rf "$dest"; mkdir -p "$dest"
  cp "$dir"/repodata/* "$dest/"
}

adv() { # id type severity "name evr arch"...
  local id=$1 type=$2 sev=$3; shift 3
  echo "  <update from=\"security@example.org\" status=\"final\" type=\"$type\" version=\"2\"><id>$id</id><title>$id</title>"
  echo "    <issued date=\"2026-11-10 00:00:00\"/>"; [[ $sev != - ]] && echo "    <severity>$sev</severity>"
  echo "    <references><reference href=\"https://access.redhat.com/security/cve/CVE-2026-0001\" id=\"CVE-2026-0001\" type=\"cve\"/></references>"
  echo "    <pkglist><collection short=\"c\"><name>c</name>"
  for spec in "$@"; do
    read -r n e a <<<"$spec"; local ep=0 vr=$e
    if [[ $e == *:* ]]; then ep=${e%%:*}; vr=${e#*:}; fi
    echo "      <package name=\"$n\" version=\"${vr%-*}\" release=\"${vr##*-}\" epoch=\"$ep\" arch=\"$a\" src=\"$n.src.rpm\"><filename>$n-${vr}.$a.rpm</filename></package>"
  done
  echo "    </collection></pkglist></update>"
}

# ---- rpm-rocky9-security: dnf 4 cache, a pending Important security update, dnf-automatic installing them
R="$HOSTS/rpm-rocky9-security"
rm -rf "$R"; mkdir -p "$R/etc/yum.repos.d" "$R/etc/dnf" "$R/proc/sys/kernel" "$R/etc/systemd/system/timers.target.wants"
cp "$HOSTS/updates-rocky9/etc/os-release" "$R/etc/os-release"
echo 5.14.0-503.14.1.el9_5.x86_64 > "$R/proc/sys/kernel/osrelease"
install_into "$R" "kernel-core 5.14.0-503.14.1.el9_5 x86_64" "openssl-libs 1:3.2.2-6.el9_5 x86_64" "bash 5.1.8-9.el9 x86_64" \
  "tzdata 2026a-1.el9 noarch" "kubelet 1.35.0-150500.1.1 x86_64" "containerd.io 2.3.0-3.1.el9 x86_64" "dnf-automatic 4.14.0-17.el9 noarch"
mkdir -p "$WORK/ui-rocky" "$WORK/ui-fedora"
{ echo '<?xml version="1.0" encoding="UTF-8"?>'; echo '<updates>'
  adv RLSA-2026:1234 security Important "openssl-libs 1:3.2.2-6.el9_5.1 x86_64"
  adv RLSA-2026:1100 security Moderate "bash 5.1.8-9.el9 x86_64"
  adv RLBA-2026:1200 bugfix - "tzdata 2026b-1.el9 noarch"
  echo '</updates>'; } > "$WORK/ui-rocky/updateinfo.xml"
repo "$R/var/cache/dnf/baseos-0b6c2d41a3a4f1e2/repodata" 1795435200 "$WORK/ui-rocky/updateinfo.xml" \
  "openssl-libs 1:3.2.2-6.el9_5 x86_64" "openssl-libs 1:3.2.2-6.el9_5.1 x86_64" "bash 5.1.8-9.el9 x86_64" "kernel-core 5.14.0-503.14.1.el9_5 x86_64" \
  "tzdata 2026b-1.el9 noarch" "dnf-automatic 4.14.0-17.el9 noarch"
repo "$R/var/cache/dnf/kubernetes-7d3fa08b0a6c5e19/repodata" 1794000000 - "kubelet 1.35.0-150500.1.1 x86_64" "kubelet 1.35.1-150500.1.1 x86_64"
cat > "$R/etc/dnf/dnf.conf" <<'EOF'
[main]
gpgcheck=1
installonly_limit=3
clean_requirements_on_remove=True
best=True
skip_if_unavailable=False
EOF
cat > "$R/etc/yum.repos.d/rocky.repo" <<'EOF'
[baseos]
name=Rocky Linux $releasever - BaseOS
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever$rltype
#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/BaseOS/$basearch/os/
gpgcheck=1
enabled=1
countme=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9

[baseos-debuginfo]
name=Rocky Linux $releasever - BaseOS - Debug
mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch&repo=BaseOS-$releasever-debug$rltype
gpgcheck=1
enabled=0
EOF
cat > "$R/etc/yum.repos.d/kubernetes.repo" <<'EOF'
[kubernetes]
name=Kubernetes
baseurl=https://pkgs.k8s.io/core:/stable:/v1.35/rpm/
enabled=1
gpgcheck=1
gpgkey=https://pkgs.k8s.io/core:/stable:/v1.35/rpm/repodata/repomd.xml.key
exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni
EOF
cat > "$R/etc/dnf/automatic.conf" <<'EOF'
[commands]
#  What kind of upgrade to perform:
# default                            = all available upgrades
# security                           = only the security upgrades
upgrade_type = security
random_sleep = 0
network_online_timeout = 60
download_updates = yes
apply_updates = yes
reboot = never

[emitters]
emit_via = stdio
EOF
ln -s /usr/lib/systemd/system/dnf-automatic.timer "$R/etc/systemd/system/timers.target.wants/dnf-automatic.timer"
mkdir -p "$R/etc/dnf/plugins"
printf '[main]\nenabled = 1\nlocklist = /etc/dnf/plugins/versionlock.list\n' > "$R/etc/dnf/plugins/versionlock.conf"
printf '# Added lock on Mon Nov  2 10:00:00 2026\nkubelet-0:1.35.0-150500.1.1.*\n' > "$R/etc/dnf/plugins/versionlock.list"

# ---- rpm-fedora42-dnf5: dnf 5 cache with zstd metadata generated 30 days ago, everything current, automatic downloads only
F="$HOSTS/rpm-fedora42-dnf5"
rm -rf "$F"; mkdir -p "$F/etc/yum.repos.d" "$F/proc/sys/kernel" "$F/etc/dnf/dnf5-plugins" "$F/etc/systemd/system/timers.target.wants" "$F/usr/lib/sysimage"
cat > "$F/etc/os-release" <<'EOF'
NAME="Fedora Linux"
VERSION="42 (Server Edition)"
ID=fedora
VERSION_ID=42
PLATFORM_ID="platform:f42"
PRETTY_NAME="Fedora Linux 42 (Server Edition)"
VARIANT="Server Edition"
VARIANT_ID=server
EOF
echo 6.14.5-300.fc42.x86_64 > "$F/proc/sys/kernel/osrelease"
install_into "$F" "kernel-core 6.14.5-300.fc42 x86_64" "curl 8.11.1-4.fc42 x86_64" "glibc 2.41-5.fc42 x86_64" "dnf5-plugin-automatic 5.2.12.0-1.fc42 x86_64"
# Fedora >= 36 keeps the database in /usr/lib/sysimage/rpm, /var/lib/rpm being a link to it
mv "$F/var/lib/rpm" "$F/usr/lib/sysimage/rpm"
ln -s ../../usr/lib/sysimage/rpm "$F/var/lib/rpm"
{ echo '<?xml version="1.0" encoding="UTF-8"?>'; echo '<updates>'
  adv FEDORA-2026-1a2b3c4d5e security Important "curl 8.11.1-4.fc42 x86_64"
  adv FEDORA-2026-0f0e0d0c0b security Moderate "glibc 2.41-3.fc42 x86_64"
  echo '</updates>'; } > "$WORK/ui-fedora/updateinfo.xml"
D="$F/var/cache/libdnf5/updates-3b1f0e7d9c2a4b68/repodata"
repo "$D" 1793448000 "$WORK/ui-fedora/updateinfo.xml" "curl 8.11.1-4.fc42 x86_64" "glibc 2.41-5.fc42 x86_64" "kernel-core 6.14.5-300.fc42 x86_64" "kernel-core 6.14.4-200.fc42 x86_64"
for f in "$D"/*.xml.gz; do
  b=$(basename "$f" .gz); gzip -dc "$f" | zstd -q -19 -o "$D/$b.zst"; rm "$f"
  sed -i "s|$(basename "$f")|$b.zst|" "$D/repomd.xml"
done
D="$F/var/cache/libdnf5/fedora-9d5e8a0c1b2f3e47/repodata"
repo "$D" 1744800000 - "curl 8.11.1-1.fc42 x86_64" "glibc 2.41-1.fc42 x86_64" "kernel-core 6.14.0-63.fc42 x86_64"
for f in "$D"/*.xml.gz; do
  b=$(basename "$f" .gz); gzip -dc "$f" | zstd -q -19 -o "$D/$b.zst"; rm "$f"
  sed -i "s|$(basename "$f")|$b.zst|" "$D/repomd.xml"
done
cat > "$F/etc/yum.repos.d/fedora.repo" <<'EOF'
[fedora]
name=Fedora $releasever - $basearch
#baseurl=http://download.example/pub/fedora/linux/releases/$releasever/Everything/$basearch/os/
metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever&arch=$basearch
enabled=1
countme=1
metadata_expire=7d
repo_gpgcheck=0
type=rpm
gpgcheck=1
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False
EOF
cat > "$F/etc/yum.repos.d/fedora-updates.repo" <<'EOF'
[updates]
name=Fedora $releasever - $basearch - Updates
metalink=https://mirrors.fedoraproject.org/metalink?repo=updates-released-f$releasever&arch=$basearch
enabled=1
countme=1
repo_gpgcheck=0
type=rpm
gpgcheck=1
metadata_expire=6h
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch
skip_if_unavailable=False
EOF
cat > "$F/etc/dnf/dnf5-plugins/automatic.conf" <<'EOF'
[commands]
upgrade_type = default
download_updates = yes
# apply_updates left at its default (no)
EOF
ln -s /usr/lib/systemd/system/dnf5-automatic.timer "$F/etc/systemd/system/timers.target.wants/dnf5-automatic.timer"

# ---- rpm-alma9-nocache: repositories configured, no dnf cache (cleaned, or dnf never ran)
A="$HOSTS/rpm-alma9-nocache"
rm -rf "$A"; mkdir -p "$A/etc/yum.repos.d" "$A/proc/sys/kernel"
cat > "$A/etc/os-release" <<'EOF'
NAME="AlmaLinux"
VERSION="9.5 (Teal Serval)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.5"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.5 (Teal Serval)"
EOF
echo 5.14.0-503.11.1.el9_5.x86_64 > "$A/proc/sys/kernel/osrelease"
install_into "$A" "kernel-core 5.14.0-503.11.1.el9_5 x86_64" "openssl-libs 1:3.2.2-6.el9_5 x86_64" "dnf-automatic 4.14.0-17.el9_5 noarch"
mkdir -p "$A/etc/dnf/plugins"
printf '[main]\nenabled=1\n' > "$A/etc/dnf/plugins/versionlock.conf"
printf 'openssl-libs-1:3.2.2-6.el9_5.*\n!openssl-libs-1:3.2.2-7.el9_5.*\n' > "$A/etc/dnf/plugins/versionlock.list"
cat > "$A/etc/yum.repos.d/almalinux-baseos.repo" <<'EOF'
[baseos]
name=AlmaLinux $releasever - BaseOS
mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/baseos
enabled=1
gpgcheck=1
countme=1
EOF
echo "generated in $HOSTS: rpm-rocky9-security rpm-fedora42-dnf5 rpm-alma9-nocache"
