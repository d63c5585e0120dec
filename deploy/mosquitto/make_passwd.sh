#!/bin/sh
# Usage: deploy/mosquitto/make_passwd.sh ACL PASSWD SECRETS_DIR
#
# For every `user` line of ACL: a fresh random password, hashed into PASSWD (Mosquitto's
# password_file) and kept in clear only in SECRETS_DIR/<user>.password (mode 600), to hand
# to that service as ZCF_MQTT_PASSWORD. Passwords never appear on a command line: the file
# is written as user:password and hashed in place by `mosquitto_passwd -U`.
# Rerun it to rotate every password; to set one by hand: `mosquitto_passwd PASSWD USER`.
set -eu
[ $# -eq 3 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
acl=$1 passwd=$2 secrets=$3
umask 077
mkdir -p "$secrets"
tmp="$passwd.new"
: > "$tmp"
for user in $(sed -n 's/^user \([^ ]*\)$/\1/p' "$acl"); do
    pw=$(head -c 24 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_')
    printf '%s' "$pw" > "$secrets/$user.password"
    printf '%s:%s\n' "$user" "$pw" >> "$tmp"
done
"$(command -v mosquitto_passwd || echo /usr/bin/mosquitto_passwd)" -U "$tmp"
mv "$tmp" "$passwd"
echo "wrote $passwd and one <user>.password per user in $secrets" >&2
