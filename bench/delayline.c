/*
 * Loopback TCP delay line: a long fat pipe on one machine, where tc netem is not available
 * (issue 22; bench/latency.sh uses it).
 *
 *   delayline LISTEN_PORT TARGET_PORT DELAY_MS MAX_INFLIGHT_BYTES [CUT_MIN CUT_MAX]
 *
 * Listens on 127.0.0.1:LISTEN_PORT (0: any free port) and forwards every accepted connection to
 * 127.0.0.1:TARGET_PORT. Each direction of each connection holds every byte DELAY_MS
 * milliseconds before writing it on: a reader thread reads into chunks stamped with their
 * arrival time and queues them, a writer thread writes each chunk once its time has come. At
 * most MAX_INFLIGHT_BYTES are queued per direction; when the queue is full the reader stops
 * reading, so the sender meets ordinary TCP backpressure, as on a link whose
 * bandwidth-delay product is that window. DELAY_MS 0 forwards at once (one thread per
 * direction, no queue). The kernel's socket buffers on both hops hold bytes too, so the window
 * a sender sees is MAX_INFLIGHT_BYTES plus a few MiB of loopback buffers.
 *
 * With CUT_MIN CUT_MAX, each connection draws a limit uniformly in [CUT_MIN, CUT_MAX]; once
 * that many bytes have been written from the target to the client, both sides are closed with
 * SO_LINGER 0, so both see a TCP reset (RST), as bench/cutproxy.py does. One line per cut on
 * stderr. Prints "proxy listening on PORT" on stdout once ready.
 *
 * Build: gcc -O2 -pthread -o delayline bench/delayline.c (the bench scripts do this).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

struct chunk {
  struct chunk *next;
  struct timespec due; /* when the writer may send it */
  size_t len;          /* 0: end of stream (the source half-closed) */
  char data[];
};

struct conn;

/* One direction: bytes read from src are written to dst. */
struct dir {
  struct conn *conn;
  int src, dst;
  int to_client;           /* the direction that cuts count */
  pthread_mutex_t mu;
  pthread_cond_t has_data; /* the writer waits for a chunk or its due time */
  pthread_cond_t has_room; /* the reader waits for the queue to drain below the window */
  struct chunk *head, *tail;
  size_t queued;           /* bytes read and not yet written: the in-flight window */
};

struct conn {
  struct dir d[2];
  int cfd, tfd;
  atomic_int refs;         /* threads still running; the last one closes the sockets */
  atomic_int aborted;      /* a cut or an error: every thread leaves, sockets reset */
  long long cut_at;        /* bytes to the client before the cut; < 0: never */
  long long delivered;     /* bytes written to the client (only its writer touches it) */
};

static long delay_ms;
static size_t max_inflight;
static long long cut_min = -1, cut_max = -1;
static pthread_mutex_t rand_mu = PTHREAD_MUTEX_INITIALIZER;

static void linger_zero(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

/* Makes every thread of the connection leave soon; the sockets are reset (RST) once they
 * have, not now, so that no thread uses a descriptor number that was closed and reused. */
static void abort_conn(struct conn *c) {
  if (atomic_exchange(&c->aborted, 1)) return;
  linger_zero(c->cfd);
  linger_zero(c->tfd);
  shutdown(c->cfd, SHUT_RD); /* wakes a reader blocked in recv; sends nothing */
  shutdown(c->tfd, SHUT_RD);
  for (int i = 0; i < 2; i++) {
    pthread_mutex_lock(&c->d[i].mu);
    pthread_cond_broadcast(&c->d[i].has_data);
    pthread_cond_broadcast(&c->d[i].has_room);
    pthread_mutex_unlock(&c->d[i].mu);
  }
}

static void release(struct conn *c) {
  if (atomic_fetch_sub(&c->refs, 1) != 1) return;
  close(c->cfd);
  close(c->tfd);
  for (int i = 0; i < 2; i++) {
    struct chunk *ch = c->d[i].head;
    while (ch) { struct chunk *n = ch->next; free(ch); ch = n; }
    pthread_mutex_destroy(&c->d[i].mu);
    pthread_cond_destroy(&c->d[i].has_data);
    pthread_cond_destroy(&c->d[i].has_room);
  }
  free(c);
}

/* Writes len bytes to d->dst, cutting the connection where its limit falls inside them.
 * Returns 0 when all were written, -1 when the connection is over. */
static int forward(struct dir *d, const char *p, size_t len) {
  struct conn *c = d->conn;
  int cut = 0;
  if (d->to_client && c->cut_at >= 0 && c->delivered + (long long)len >= c->cut_at) {
    len = (size_t)(c->cut_at - c->delivered);
    cut = 1;
  }
  while (len > 0) {
    ssize_t n = send(d->dst, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      /* EAGAIN: the send timeout (set in main) expired; look whether to give up. */
      if ((errno == EINTR || errno == EAGAIN) && !atomic_load(&c->aborted)) continue;
      abort_conn(c);
      return -1;
    }
    p += n;
    len -= (size_t)n;
    if (d->to_client) c->delivered += n;
  }
  if (cut) {
    fprintf(stderr, "cut after %lld bytes\n", c->delivered);
    abort_conn(c);
    return -1;
  }
  return 0;
}

static void end_of_stream(struct dir *d) {
  shutdown(d->dst, SHUT_WR);
}

/* DELAY_MS 0: read and write on the same thread, nothing queued. */
static void *direct(void *arg) {
  struct dir *d = arg;
  char *buf = malloc(CHUNK);
  while (buf && !atomic_load(&d->conn->aborted)) {
    ssize_t n = recv(d->src, buf, CHUNK, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { abort_conn(d->conn); break; }
    if (n == 0) { if (!atomic_load(&d->conn->aborted)) end_of_stream(d); break; }
    if (forward(d, buf, (size_t)n) < 0) break;
  }
  free(buf);
  release(d->conn);
  return NULL;
}

static void add_ms(struct timespec *t, long ms) {
  t->tv_sec += ms / 1000;
  t->tv_nsec += (ms % 1000) * 1000000L;
  if (t->tv_nsec >= 1000000000L) { t->tv_sec++; t->tv_nsec -= 1000000000L; }
}

static void *reader(void *arg) {
  struct dir *d = arg;
  struct conn *c = d->conn;
  for (;;) {
    pthread_mutex_lock(&d->mu);
    while (d->queued >= max_inflight && !atomic_load(&c->aborted))
      pthread_cond_wait(&d->has_room, &d->mu);
    size_t room = max_inflight - d->queued;
    pthread_mutex_unlock(&d->mu);
    if (atomic_load(&c->aborted)) break;
    size_t want = room < CHUNK ? room : CHUNK;
    struct chunk *ch = malloc(sizeof *ch + want);
    if (!ch) { abort_conn(c); break; }
    ssize_t n = recv(d->src, ch->data, want, 0);
    if (n < 0 && errno == EINTR) { free(ch); continue; }
    if (n < 0 || (n == 0 && atomic_load(&c->aborted))) {
      free(ch);
      abort_conn(c);
      break;
    }
    clock_gettime(CLOCK_MONOTONIC, &ch->due); /* the arrival time, plus the delay */
    add_ms(&ch->due, delay_ms);
    ch->len = (size_t)n;
    ch->next = NULL;
    pthread_mutex_lock(&d->mu);
    if (d->tail) d->tail->next = ch; else d->head = ch;
    d->tail = ch;
    d->queued += (size_t)n;
    pthread_cond_signal(&d->has_data);
    pthread_mutex_unlock(&d->mu);
    if (n == 0) break; /* end of stream queued: the writer half-closes when it is due */
  }
  release(c);
  return NULL;
}

static int before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *writer(void *arg) {
  struct dir *d = arg;
  struct conn *c = d->conn;
  for (;;) {
    pthread_mutex_lock(&d->mu);
    struct timespec now;
    for (;;) {
      if (atomic_load(&c->aborted)) break;
      if (!d->head) { pthread_cond_wait(&d->has_data, &d->mu); continue; }
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (!before(&now, &d->head->due)) break;
      pthread_cond_timedwait(&d->has_data, &d->mu, &d->head->due);
    }
    struct chunk *ch = d->head;
    pthread_mutex_unlock(&d->mu);
    if (atomic_load(&c->aborted)) break;
    if (ch->len == 0) { end_of_stream(d); break; }
    /* Written before it leaves the queue: bytes count against the window until written. */
    if (forward(d, ch->data, ch->len) < 0) break;
    pthread_mutex_lock(&d->mu);
    d->head = ch->next;
    if (!d->head) d->tail = NULL;
    d->queued -= ch->len;
    pthread_cond_signal(&d->has_room);
    pthread_mutex_unlock(&d->mu);
    free(ch);
  }
  release(c);
  return NULL;
}

static void init_dir(struct dir *d, struct conn *c, int src, int dst, int to_client) {
  d->conn = c;
  d->src = src;
  d->dst = dst;
  d->to_client = to_client;
  pthread_mutex_init(&d->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* timedwait deadlines are monotonic */
  pthread_cond_init(&d->has_data, &ca);
  pthread_cond_init(&d->has_room, NULL);
  pthread_condattr_destroy(&ca);
  d->head = d->tail = NULL;
  d->queued = 0;
}

static int connect_target(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

static void start(int cfd, int target_port) {
  int tfd = connect_target(target_port);
  if (tfd < 0) { linger_zero(cfd); close(cfd); return; }
  struct timeval tv = {0, 200000}; /* a blocked send looks every 200 ms whether to give up */
  int one = 1;
  for (int i = 0; i < 2; i++) {
    int fd = i ? tfd : cfd;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  struct conn *c = calloc(1, sizeof *c);
  if (!c) { close(cfd); close(tfd); return; }
  c->cfd = cfd;
  c->tfd = tfd;
  c->cut_at = -1;
  if (cut_min >= 0) {
    pthread_mutex_lock(&rand_mu);
    double u = (double)random() / ((double)RAND_MAX + 1.0);
    pthread_mutex_unlock(&rand_mu);
    c->cut_at = cut_min + (long long)(u * (double)(cut_max - cut_min + 1));
  }
  init_dir(&c->d[0], c, cfd, tfd, 0);
  init_dir(&c->d[1], c, tfd, cfd, 1);
  int threads = delay_ms > 0 ? 4 : 2;
  atomic_store(&c->refs, threads);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  for (int i = 0; i < 2; i++) {
    pthread_t t;
    if (delay_ms > 0) {
      if (pthread_create(&t, &attr, reader, &c->d[i]) != 0) { abort_conn(c); release(c); }
      if (pthread_create(&t, &attr, writer, &c->d[i]) != 0) { abort_conn(c); release(c); }
    } else if (pthread_create(&t, &attr, direct, &c->d[i]) != 0) {
      abort_conn(c);
      release(c);
    }
  }
  pthread_attr_destroy(&attr);
}

static long long number(const char *s, const char *what) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0) {
    fprintf(stderr, "delayline: %s: '%s' (expected: a number >= 0)\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 7) {
    fprintf(stderr, "usage: delayline LISTEN_PORT TARGET_PORT DELAY_MS MAX_INFLIGHT_BYTES"
                    " [CUT_MIN CUT_MAX]\n");
    return 2;
  }
  int listen_port = (int)number(argv[1], "LISTEN_PORT");
  int target_port = (int)number(argv[2], "TARGET_PORT");
  delay_ms = (long)number(argv[3], "DELAY_MS");
  max_inflight = (size_t)number(argv[4], "MAX_INFLIGHT_BYTES");
  if (max_inflight == 0) { fprintf(stderr, "delayline: MAX_INFLIGHT_BYTES: 0 (expected: > 0)\n"); return 2; }
  if (argc == 7) {
    cut_min = number(argv[5], "CUT_MIN");
    cut_max = number(argv[6], "CUT_MAX");
    if (cut_max < cut_min) { fprintf(stderr, "delayline: CUT_MAX < CUT_MIN\n"); return 2; }
  }
  signal(SIGPIPE, SIG_IGN);
  srandom((unsigned)time(NULL) ^ (unsigned)getpid());
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0
      || getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
    perror("delayline: listen");
    return 1;
  }
  printf("proxy listening on %d\n", ntohs(a.sin_port));
  fflush(stdout);
  for (;;) {
    int cfd = accept(ls, NULL, NULL);
    if (cfd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      perror("delayline: accept");
      return 1;
    }
    start(cfd, target_port);
  }
}
