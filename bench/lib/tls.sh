# The HTTPS workloads' certificate (sourced, not run; needs bench/lib/procs.sh, or log and die, first). The caller
# sets WORK (and REPO_DIR) before sourcing, HOST_HEADER before make_tls_cert.

TLS_CERT="$WORK/tls/cert.pem"
TLS_KEY="$WORK/tls/key.pem"

# A self-signed certificate for bench.test (ECDSA P-256, as a current certificate authority would issue), for the
# HTTPS workloads; kept between runs.
make_tls_cert() {
  [[ -s $TLS_CERT && -s $TLS_KEY ]] && return
  local dir=${TLS_CERT%/*}
  log "making a self-signed certificate in ${dir#"$REPO_DIR/"}"
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "/CN=$HOST_HEADER" \
    -addext "subjectAltName=DNS:$HOST_HEADER,IP:127.0.0.1" -keyout "$TLS_KEY" -out "$TLS_CERT" 2>"$dir/openssl.log" ||
    die "openssl could not make the certificate (log: $dir/openssl.log)"
}
