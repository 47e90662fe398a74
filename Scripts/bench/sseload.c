/*
 * sseload: holds many idle SSE streams open against a node and measures how
 * long one broadcast takes to reach all of them. One thread, epoll, small
 * buffers: it must not be the bottleneck it measures.
 *
 *   sseload PORT PATHS_FILE N [MARKER]
 *
 * PATHS_FILE has one request target per line (e.g. /api/.../events?token=T);
 * connection i uses line i % lines. Each stream counts as open once MARKER
 * (default "event: presentation_stop") has arrived, i.e. its initial burst.
 * Then it prints "READY <n> <seconds>" and waits for a line on stdin: a
 * request target and body for the broadcast trigger ("POST <target> <json>").
 * It sends that on a separate connection, notes t0, and waits until every
 * stream has received "event: bench". It prints one JSON line of results.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXLINE 4096
#define TAIL 64

struct conn {
    int fd;
    int ready;       /* initial burst seen */
    int got_bench;
    double bench_at;
    char tail[TAIL]; /* last bytes seen, to match markers across reads */
    int tail_len;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { perror("socket"); exit(2); }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(2); }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0) { perror("send"); exit(2); }
        buf += n; len -= n;
    }
}

/* Looks for marker in tail+data without keeping whole streams. */
static int scan(struct conn *c, const char *data, ssize_t n, const char *marker) {
    char buf[TAIL + 65536];
    memcpy(buf, c->tail, c->tail_len);
    memcpy(buf + c->tail_len, data, n);
    size_t len = c->tail_len + n;
    int hit = memmem(buf, len, marker, strlen(marker)) != NULL;
    size_t keep = len < TAIL - 1 ? len : TAIL - 1;
    memcpy(c->tail, buf + len - keep, keep);
    c->tail_len = keep;
    return hit;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: sseload PORT PATHS_FILE N [MARKER]\n"); return 2; }
    int port = atoi(argv[1]);
    int n = atoi(argv[3]);
    const char *ready_marker = argc > 4 ? argv[4] : "event: presentation_stop";
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 2; }
    char **paths = NULL;
    int npaths = 0;
    char line[MAXLINE];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        paths = realloc(paths, sizeof(char *) * (npaths + 1));
        paths[npaths++] = strdup(line);
    }
    fclose(f);
    if (npaths == 0) { fprintf(stderr, "no paths\n"); return 2; }

    struct conn *conns = calloc(n, sizeof *conns);
    int ep = epoll_create1(0);
    double t_open = now();
    char req[MAXLINE + 256];
    for (int i = 0; i < n; i++) {
        conns[i].fd = connect_to(port);
        int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
                           paths[i % npaths]);
        send_all(conns[i].fd, req, len);
        fcntl(conns[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    }
    int ready = 0, closed = 0;
    struct epoll_event events[1024];
    static char buf[65536];
    double deadline = now() + 120;
    while (ready + closed < n && now() < deadline) {
        int k = epoll_wait(ep, events, 1024, 1000);
        for (int j = 0; j < k; j++) {
            struct conn *c = &conns[events[j].data.u32];
            for (;;) {
                ssize_t r = recv(c->fd, buf, sizeof buf, 0);
                if (r > 0) {
                    if (!c->ready && scan(c, buf, r, ready_marker)) { c->ready = 1; ready++; c->tail_len = 0; }
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    c->fd = -1;
                    closed++;
                }
                break;
            }
        }
    }
    printf("READY %d %.3f\n", ready, now() - t_open);
    fflush(stdout);

    /* Keep draining heartbeats while waiting for the trigger line. */
    if (!fgets(line, sizeof line, stdin)) return 0;
    line[strcspn(line, "\r\n")] = 0;
    char *target = strchr(line, ' ');
    if (!target) { fprintf(stderr, "bad trigger line\n"); return 2; }
    *target++ = 0;
    char *body = strchr(target, ' ');
    if (!body) { fprintf(stderr, "bad trigger line\n"); return 2; }
    *body++ = 0;
    for (int i = 0; i < n; i++) conns[i].tail_len = 0;

    int ctl = connect_to(port);
    int len = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", line, target, strlen(body), body);
    double t0 = now();
    send_all(ctl, req, len);
    int got = 0;
    double first = 0, last = 0;
    deadline = now() + 30;
    while (got < ready && now() < deadline) {
        int k = epoll_wait(ep, events, 1024, 1000);
        for (int j = 0; j < k; j++) {
            struct conn *c = &conns[events[j].data.u32];
            if (c->fd < 0) continue;
            for (;;) {
                ssize_t r = recv(c->fd, buf, sizeof buf, 0);
                if (r > 0) {
                    if (!c->got_bench && scan(c, buf, r, "event: bench")) {
                        double t = now() - t0;
                        c->got_bench = 1;
                        got++;
                        if (got == 1) first = t;
                        last = t;
                    }
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    c->fd = -1;
                }
                break;
            }
        }
    }
    /* The node's own figure: how long it took to queue the event (from its answer). */
    double queued = -1;
    struct pollfd pfd = {.fd = ctl, .events = POLLIN};
    if (poll(&pfd, 1, 2000) > 0) {
        ssize_t r = recv(ctl, buf, sizeof buf - 1, 0);
        if (r > 0) {
            buf[r] = 0;
            char *q = strstr(buf, "\"queued_ms\":");
            if (q) queued = atof(q + strlen("\"queued_ms\":"));
        }
    }
    printf("{\"streams\": %d, \"received\": %d, \"first_ms\": %.2f, \"last_ms\": %.2f, \"queued_ms\": %.2f}\n",
           ready, got, first * 1000, last * 1000, queued);
    fflush(stdout);
    return got == ready ? 0 : 1;
}
