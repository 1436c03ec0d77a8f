#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts: make a self-signed
# certificate for DEMOS_SITE_HOSTNAME in /etc/nginx/tls unless cert.pem and
# key.pem are already there (a mounted real certificate, or the one made on an
# earlier start, kept in the `tls` volume).
set -eu
dir=${DEMOS_TLS_DIR:-/etc/nginx/tls}
if [ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ]; then
    echo "$0: using the certificate in $dir"
    exit 0
fi
host=${DEMOS_SITE_HOSTNAME:-localhost}
host=${host%%:*}
case "$host" in
    localhost) names="DNS:localhost,IP:127.0.0.1" ;;
    *[!0-9.]*) names="DNS:$host,DNS:localhost,IP:127.0.0.1" ;;
    *) names="IP:$host,DNS:localhost,IP:127.0.0.1" ;;
esac
echo "$0: no certificate in $dir: making a self-signed one for $host"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
    -subj "/CN=$host" -addext "subjectAltName=$names" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 0644 "$dir/cert.pem"
