/*
 * The ceiling: a single-threaded epoll TCP echo server and a UDP uppercase
 * server in C. Binds 127.0.0.1 on a free port and prints "ready PORT".
 *
 *   echo_epoll tcp      TCP echo
 *   echo_epoll udp      UDP uppercase (recvfrom/sendto loop)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

static char buf[1 << 16];

static int bound(int type) {
  int fd = socket(AF_INET, type, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) return -1;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  printf("ready %d\n", ntohs(a.sin_port));
  fflush(stdout);
  return fd;
}

static void udp(void) {
  int fd = bound(SOCK_DGRAM);
  struct sockaddr_storage from;
  for (;;) {
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n < 0) continue;
    for (ssize_t i = 0; i < n; i++) buf[i] = toupper((unsigned char)buf[i]);
    sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
  }
}

/* Echo with blocking-free writes: on EAGAIN the rest waits for EPOLLOUT. */
struct pending { size_t len, off; char data[1 << 16]; };

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && !strcmp(argv[1], "udp")) udp();
  int lfd = bound(SOCK_STREAM);
  listen(lfd, 1024);
  fcntl(lfd, F_SETFL, O_NONBLOCK);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static struct pending *pend[65536];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (c >= 65536) { close(c); continue; }
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      struct pending *p = pend[fd];
      if (p) { /* finish the pending write first */
        ssize_t w = write(fd, p->data + p->off, p->len - p->off);
        if (w < 0 && errno != EAGAIN) {
          pend[fd] = NULL;
          free(p);
          close(fd);
          continue;
        }
        if (w > 0) p->off += w;
        if (p->off < p->len) continue;
        pend[fd] = NULL;
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        free(p);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd); /* epoll forgets it; nothing pending (checked above) */
        continue;
      }
      ssize_t w = write(fd, buf, r);
      if (w < 0) w = 0;
      if (w < r) {
        p = malloc(sizeof *p);
        p->len = r - w;
        p->off = 0;
        memcpy(p->data, buf + w, r - w);
        pend[fd] = p;
        struct epoll_event cev = {.events = EPOLLOUT, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
      }
    }
  }
}
