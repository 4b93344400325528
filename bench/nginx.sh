# Sourced by the bench scripts: the nginx they compare against, started the same way everywhere.
#
#   start_bench_nginx [WORKER_CONNECTIONS] [EXTRA_SERVER_LINES] [EXTRA_PUT_LINES]
#
# Uses $work (its own prefix under $work/nginx), $work/data/tls/server.{pem,key} (server-demo's
# development certificate), $ca (to probe it) and ${nginx_bin:-nginx}. TLS 1.3 only, sendfile,
# no access log, WebDAV PUT under /up/. Returns once a file is served over TLS. Sets ng (the
# prefix; serve files from $ng/www), ng_port and ng_pids (master and worker, for CPU accounting),
# and appends the master to pids.
start_bench_nginx() {
  local conns=${1:-64} server_extra=${2:-} put_extra=${3:-}
  ng=$work/nginx
  mkdir -p "$ng/www/up" "$ng/logs" "$ng/tmp/body"
  chmod 755 "$ng" "$ng/www" "$ng/logs" "$ng/tmp"
  chmod 777 "$ng/www/up" "$ng/tmp/body"
  ng_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$ng/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections $conns; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $ng/tmp/body;
  proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi;
  scgi_temp_path $ng/tmp/scgi;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:$ng_port ssl;
    ssl_certificate $work/data/tls/server.pem;
    ssl_certificate_key $work/data/tls/server.key;
    ssl_protocols TLSv1.3;
    $server_extra
    root $ng/www;
    location /up/ {
      dav_methods PUT;
      $put_extra
      client_max_body_size 0;
    }
  }
}
NGINX
  "${nginx_bin:-nginx}" -p "$ng" -c "$ng/nginx.conf" > "$ng/logs/stdout.log" 2>&1 &
  local master=$!
  pids+=("$master")
  echo probe > "$ng/www/.probe.bin"
  for _ in $(seq 1 100); do
    curl -sS -o /dev/null --cacert "$ca" "https://127.0.0.1:$ng_port/.probe.bin" 2>/dev/null && break
    sleep 0.1
  done
  curl -sS -o /dev/null --cacert "$ca" "https://127.0.0.1:$ng_port/.probe.bin" \
    || { cat "$ng/logs/error.log"; exit 1; }
  rm -f "$ng/www/.probe.bin"
  ng_pids=("$master" $(ps -o pid= --ppid "$master"))
}
