/*
 * sockit's benchmark load generator: single-threaded, epoll, so that the
 * client is never the bottleneck. Loopback targets only (the bench script
 * passes 127.0.0.1).
 *
 *   loadgen stream HOST PORT CONNS SIZE SECONDS [BLOCKS]   TCP echo throughput (MB/s),
 *                                                  BLOCKS blocks of SIZE in flight (2)
 *   loadgen rr     HOST PORT CONNS SIZE SECONDS   TCP echo request/response
 *   loadgen udp    HOST PORT SOCKS SIZE SECONDS   UDP request/response, resend after 200 ms
 *   loadgen exec   HOST PORT CONNS 0    SECONDS   exec frames running `true`
 *   loadgen idle   HOST PORT CONNS 0    SECONDS   open CONNS, say "held" on stderr, hold them
 *
 * Prints one JSON object: requests, bytes, seconds, rps, mbps, p50_us,
 * p99_us, max_us, errors, losses. Exit 1 on a setup error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_US 10000000 /* latencies are histogrammed up to 10 s */
#define UDP_RESEND_NS 200000000LL

enum mode { STREAM, RR, UDP, EXEC, IDLE };
/* Blocks of SIZE each stream connection keeps in flight. */
static int blocks = 2;

struct conn {
  int fd;
  long long sent_at;     /* ns, when the request in flight was sent */
  size_t out_off;        /* bytes of the request written */
  size_t in_got;         /* bytes of the reply read */
  size_t in_want;        /* bytes expected in the reply (exec: grows) */
  long long outstanding; /* stream: bytes written and not yet echoed */
  int exec_phase;        /* exec: 0 = prefix, 1 = header, 2 = body */
  unsigned char hdr[65536 + 4];
};

static uint32_t *histogram;
static long long requests, bytes_total, errors, losses, max_us;
static unsigned char *payload, *scratch;
static size_t size;
static enum mode mode;
static const char *exec_frame;
static size_t exec_frame_len;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record(long long ns) {
  long long us = ns / 1000;
  if (us >= MAX_US) us = MAX_US - 1;
  histogram[us]++;
  if (us > max_us) max_us = us;
  requests++;
}

static long long percentile(double p) {
  long long target = (long long)(p * requests), seen = 0;
  for (long long us = 0; us < MAX_US; us++) {
    seen += histogram[us];
    if (seen > target) return us;
  }
  return MAX_US;
}

static int open_socket(struct sockaddr_in *addr, int type) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)addr, sizeof *addr) < 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  if (type == SOCK_STREAM) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

static void start_request(struct conn *c) {
  c->sent_at = now_ns();
  c->out_off = 0;
  c->in_got = 0;
  c->exec_phase = 0;
  c->in_want = mode == EXEC ? 4 : size;
  if (mode == UDP) {
    if (send(c->fd, payload, size, 0) < 0) errors++;
    c->out_off = size;
  }
}

/* Writes what it can of the request in flight. */
static void pump_out(struct conn *c) {
  const unsigned char *req = mode == EXEC ? (const unsigned char *)exec_frame : payload;
  size_t len = mode == EXEC ? exec_frame_len : size;
  if (mode == STREAM) {
    while (c->outstanding < (long long)(blocks * size)) {
      ssize_t n = write(c->fd, payload, size);
      if (n <= 0) return;
      c->outstanding += n;
    }
    return;
  }
  while (c->out_off < len) {
    ssize_t n = write(c->fd, req + c->out_off, len - c->out_off);
    if (n <= 0) return;
    c->out_off += n;
  }
}

/* exec: after each complete piece, decide what comes next; 1 = reply done. */
static int exec_advance(struct conn *c) {
  if (c->exec_phase == 0) {
    uint32_t hlen = c->hdr[0] | c->hdr[1] << 8 | c->hdr[2] << 16 | (uint32_t)c->hdr[3] << 24;
    if (hlen < 2 || hlen > 65536) return -1;
    c->exec_phase = 1;
    c->in_want = 4 + hlen;
    return 0;
  }
  if (c->exec_phase == 1) {
    c->hdr[c->in_want] = 0;
    const char *ts = strstr((const char *)c->hdr + 4, "\"total_size\":");
    if (strstr((const char *)c->hdr + 4, "\"error\"") || !ts) return -1;
    long long body = atoll(ts + 13);
    c->exec_phase = 2;
    c->in_want = c->in_want + body;
    return c->in_got >= c->in_want ? 1 : 0;
  }
  return 1;
}

static void pump_in(struct conn *c, long long deadline) {
  for (;;) {
    ssize_t n;
    if (mode == EXEC && c->exec_phase < 2) {
      n = read(c->fd, c->hdr + c->in_got, c->in_want - c->in_got);
    } else {
      n = read(c->fd, scratch, mode == STREAM ? 1 << 20 : (c->in_want - c->in_got));
    }
    if (n == 0) {
      errors++;
      close(c->fd);
      c->fd = -1;
      return;
    }
    if (n < 0) return;
    bytes_total += n;
    if (mode == STREAM) {
      c->outstanding -= n;
      pump_out(c);
      continue;
    }
    c->in_got += n;
    if (mode == UDP) {
      if ((size_t)n != size) errors++;
      record(now_ns() - c->sent_at);
      if (now_ns() < deadline) start_request(c);
      return;
    }
    while (c->in_got >= c->in_want) {
      int done = mode == EXEC ? exec_advance(c) : 1;
      if (done < 0) {
        errors++;
        close(c->fd);
        c->fd = -1;
        return;
      }
      if (done == 0) break;
      record(now_ns() - c->sent_at);
      if (now_ns() >= deadline) return;
      start_request(c);
      pump_out(c);
      break;
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 8) blocks = atoi(argv[7]);
  if ((argc != 7 && argc != 8) || blocks < 1) {
    fprintf(stderr, "usage: loadgen stream|rr|udp|exec HOST PORT CONNS SIZE SECONDS [BLOCKS]\n");
    return 1;
  }
  mode = !strcmp(argv[1], "stream") ? STREAM : !strcmp(argv[1], "rr") ? RR
         : !strcmp(argv[1], "udp") ? UDP : !strcmp(argv[1], "idle") ? IDLE : EXEC;
  int conns = atoi(argv[4]);
  size = (size_t)atol(argv[5]);
  double seconds = atof(argv[6]);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
  if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1 || conns < 1) {
    fprintf(stderr, "loadgen: bad host or connection count\n");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  histogram = calloc(MAX_US, sizeof *histogram);
  payload = malloc(size + 1);
  scratch = malloc(1 << 20);
  memset(payload, 'a', size);
  if (size > 0) payload[size - 1] = mode == RR ? '\n' : 'a';
  static char frame[64];
  const char *json = "{\"cmd\":\"true\"}";
  uint32_t jlen = strlen(json);
  memcpy(frame, &jlen, 4); /* little-endian hosts only: x86-64, arm64 */
  memcpy(frame + 4, json, jlen);
  exec_frame = frame;
  exec_frame_len = 4 + jlen;

  int ep = epoll_create1(0);
  struct conn *all = calloc(conns, sizeof *all);
  for (int i = 0; i < conns; i++) {
    all[i].fd = open_socket(&addr, mode == UDP ? SOCK_DGRAM : SOCK_STREAM);
    if (all[i].fd < 0) {
      fprintf(stderr, "loadgen: cannot connect to %s:%s: %s\n", argv[2], argv[3], strerror(errno));
      return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN | (mode == UDP ? 0 : EPOLLOUT | EPOLLET), .data.ptr = &all[i]};
    if (mode == UDP) ev.events = EPOLLIN;
    else ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    epoll_ctl(ep, EPOLL_CTL_ADD, all[i].fd, &ev);
  }
  if (mode == IDLE) {
    fprintf(stderr, "held %d\n", conns);
    usleep((useconds_t)(seconds * 1e6));
    printf("{\"mode\":\"idle\",\"connections\":%d}\n", conns);
    return 0;
  }
  long long start = now_ns();
  long long deadline = start + (long long)(seconds * 1e9);
  for (int i = 0; i < conns; i++) {
    start_request(&all[i]);
    if (mode != UDP) pump_out(&all[i]);
  }
  struct epoll_event events[256];
  long long last_resend_check = start;
  while (now_ns() < deadline) {
    int n = epoll_wait(ep, events, 256, 10);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c->fd < 0) continue;
      if (events[i].events & EPOLLIN) pump_in(c, deadline);
      if (c->fd >= 0 && (events[i].events & EPOLLOUT) && mode != UDP) pump_out(c);
    }
    long long t = now_ns();
    if (mode == UDP && t - last_resend_check > 10000000LL) {
      last_resend_check = t;
      for (int i = 0; i < conns; i++) {
        if (t - all[i].sent_at > UDP_RESEND_NS) {
          losses++;
          start_request(&all[i]);
        }
      }
    }
  }
  double elapsed = (now_ns() - start) / 1e9;
  if (mode == STREAM) requests = bytes_total / (size ? size : 1);
  printf("{\"mode\":\"%s\",\"connections\":%d,\"size\":%zu,\"requests\":%lld,\"bytes\":%lld,"
         "\"seconds\":%.3f,\"rps\":%.1f,\"mbps\":%.1f,\"p50_us\":%lld,\"p99_us\":%lld,"
         "\"max_us\":%lld,\"errors\":%lld,\"losses\":%lld}\n",
         argv[1], conns, size, requests, bytes_total, elapsed, requests / elapsed,
         bytes_total / elapsed / 1e6, mode == STREAM ? 0 : percentile(0.5),
         mode == STREAM ? 0 : percentile(0.99), max_us, errors, losses);
  return 0;
}
