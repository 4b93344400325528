# Servers for bench/trees.sh, sourced by it: server-demo, nginx (HTTPS with server-demo's
# certificate, TLS 1.3 only, WebDAV PUT under /up/) and an OpenSSH server of its own, all on
# 127.0.0.1 and all under $work. Each start_* sets the PIDs whose CPU counts as that server's.
# Needs from the caller: $work, $pids (array; killed on exit), free_port, wait_for, $java_opts.

# Installs what is missing (Debian packages; needs root).
tree_tools() {
  PATH=$PATH:/usr/sbin
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  command -v curl >/dev/null || missing+=(curl)
  command -v rsync >/dev/null || missing+=(rsync)
  command -v sshd >/dev/null || missing+=(openssh-server)
  command -v ssh >/dev/null || missing+=(openssh-client)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

start_lifeline() { # sets ll_port, ll_pids, ca
  ll_port=$(free_port)
  java "${java_opts[@]}" -jar server-demo/target/server-demo.jar --port "$ll_port" \
    --data-dir "$work/data" > "$work/server.log" 2>&1 &
  pids+=($!)
  ll_pids=($!)
  wait_for "$work/server.log" "listening on"
  ca=$work/data/tls/ca.pem
  mkdir -p "$work/data/files"
}

start_nginx() { # sets ng, ng_port, ng_pids; serves $ng/www, PUT under /up/ creates directories
  ng=$work/nginx
  mkdir -p "$ng/www/up" "$ng/logs" "$ng/tmp/body"
  chmod 755 "$work" "$ng" "$ng/www" "$ng/logs" "$ng/tmp"
  chmod 777 "$ng/www/up" "$ng/tmp/body"
  ng_port=$(free_port)
  cat > "$ng/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $ng/nginx.pid;
error_log $ng/logs/error.log warn;
events { worker_connections 256; }
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
    keepalive_requests 100000;
    root $ng/www;
    location /up/ {
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
    }
  }
}
NGINX
  nginx -p "$ng" -c "$ng/nginx.conf" > "$ng/logs/stdout.log" 2>&1 &
  pids+=($!)
  local master=$!
  echo probe > "$ng/www/probe.bin"
  for _ in $(seq 1 100); do
    curl -sS -o /dev/null --cacert "$ca" "https://127.0.0.1:$ng_port/probe.bin" 2>/dev/null && break
    sleep 0.1
  done
  curl -sS -o /dev/null --cacert "$ca" "https://127.0.0.1:$ng_port/probe.bin" \
    || { cat "$ng/logs/error.log"; exit 1; }
  ng_pids=("$master" $(ps -o pid= --ppid "$master"))
}

start_sshd() { # sets ssh_port, ssh_pids, ssh_cmd (the -e argument of rsync)
  local d=$work/ssh
  mkdir -p "$d" /run/sshd
  chmod 700 "$d"
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$d/user_key"
  cp "$d/user_key.pub" "$d/authorized_keys"
  ssh_port=$(free_port)
  cat > "$d/sshd_config" <<SSHD
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
LogLevel ERROR
SSHD
  "$(command -v sshd)" -D -f "$d/sshd_config" -E "$d/sshd.log" &
  pids+=($!)
  ssh_pids=($!)
  ssh_cmd="ssh -F /dev/null -p $ssh_port -i $d/user_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
  for _ in $(seq 1 100); do
    $ssh_cmd "$(id -un)@127.0.0.1" true 2>/dev/null && return 0
    sleep 0.1
  done
  $ssh_cmd "$(id -un)@127.0.0.1" true || { cat "$d/sshd.log"; exit 1; }
}
