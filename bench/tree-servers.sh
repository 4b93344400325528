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
  chmod 755 "$work"
  . "$bench_dir/nginx.sh"
  start_bench_nginx 256 'keepalive_requests 100000;' 'create_full_put_path on;'
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
