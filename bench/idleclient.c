/*
 * idleclient: opens N keep-alive HTTP/1.1 connections to 127.0.0.1:PORT, completes one GET on each (reading
 * the whole response), then holds them all open so the server's memory per idle connection can be measured.
 *
 *   idleclient [-s] PORT PATH COUNT [HOLD_SECONDS]
 *
 * -s (send only): write the request on each connection and expect no response, for servers below HTTP that only
 * drain their input (bench/IdleProbe); "ready" then means every request was written, and ok/bad are 0.
 *
 * Prints "ready COUNT ok=N bad=M" on stdout once every connection has had its response (ok = 2xx), then
 * waits until stdin is closed, SIGTERM/SIGINT arrives or HOLD_SECONDS (default 120) pass, and exits after
 * closing every connection with a reset (SO_LINGER 0), so no TIME_WAIT entries pile up between runs.
 * HOLD_SECONDS 0 exits right after "ready", which makes it a one-request probe.
 *
 * Only ever connects to 127.0.0.1. Each connect/send/receive is bounded by a 10 s socket timeout and the
 * whole opening phase by 120 s; on any failure it reports what happened and exits non-zero.
 *
 * Built by bench/run.sh with the system C compiler; not part of the .NET solution.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_SECONDS 10
#define OPEN_PHASE_SECONDS 120
#define MAX_HEADER 16384

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one whole HTTP response from fd: headers, then a Content-Length body or a chunked body.
 * Returns the status code, or -1 on error/EOF/timeout. Bodies are discarded. */
static int read_response(int fd)
{
    char buf[MAX_HEADER + 1];
    size_t have = 0;
    char *end = NULL;

    while (end == NULL) {
        if (have == MAX_HEADER) return -1;
        ssize_t n = recv(fd, buf + have, MAX_HEADER - have, 0);
        if (n <= 0) return -1;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }

    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;

    long long content_length = -1;
    int chunked = 0;
    for (char *line = strstr(buf, "\r\n"); line != NULL && line < end; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        char *eol = strstr(h, "\r\n");
        *eol = '\0'; /* one header per string while looking at it; restored below */
        if (strncasecmp(h, "Content-Length:", 15) == 0) content_length = atoll(h + 15);
        else if (strncasecmp(h, "Transfer-Encoding:", 18) == 0 && strcasestr(h, "chunked") != NULL) chunked = 1;
        *eol = '\r';
    }

    size_t body_have = have - (size_t)(end + 4 - buf);
    if (chunked) {
        /* Static responses are small here; keep the tail of the stream and stop at the last-chunk marker. */
        char tail[8] = {0};
        size_t tail_len = 0;
        const char *body = end + 4;
        for (;;) {
            for (size_t i = 0; i < body_have; i++) {
                if (tail_len == sizeof tail - 1) { memmove(tail, tail + 1, sizeof tail - 2); tail_len--; }
                tail[tail_len++] = body[i];
                tail[tail_len] = '\0';
                if (tail_len >= 5 && strcmp(tail + tail_len - 5, "0\r\n\r\n") == 0) return status;
            }
            ssize_t n = recv(fd, buf, MAX_HEADER, 0);
            if (n <= 0) return -1;
            body = buf;
            body_have = (size_t)n;
        }
    }

    if (content_length < 0) content_length = 0; /* e.g. 204/304; a close-delimited body would not be keep-alive */
    long long remaining = content_length - (long long)body_have;
    while (remaining > 0) {
        ssize_t n = recv(fd, buf, remaining < MAX_HEADER ? (size_t)remaining : MAX_HEADER, 0);
        if (n <= 0) return -1;
        remaining -= n;
    }
    return status;
}

static int open_one(int port, const char *request, size_t request_len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;

    struct timeval tv = { .tv_sec = IO_TIMEOUT_SECONDS, .tv_usec = 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1, always */
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        send(fd, request, request_len, MSG_NOSIGNAL) != (ssize_t)request_len) {
        close(fd);
        return -1;
    }
    return fd;
}

static void close_all(int *fds, int count)
{
    struct linger reset = { .l_onoff = 1, .l_linger = 0 };
    for (int i = 0; i < count; i++) {
        setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        close(fds[i]);
    }
}

int main(int argc, char **argv)
{
    int send_only = 0;
    if (argc > 1 && strcmp(argv[1], "-s") == 0) {
        send_only = 1;
        argv++;
        argc--;
    }
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: idleclient [-s] PORT PATH COUNT [HOLD_SECONDS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *path = argv[2];
    int count = atoi(argv[3]);
    int hold = argc == 5 ? atoi(argv[4]) : 120;
    if (port <= 0 || port > 65535 || count <= 0 || hold < 0 || path[0] != '/') {
        fprintf(stderr, "idleclient: bad arguments\n");
        return 2;
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char request[1024];
    int request_len = snprintf(request, sizeof request,
                               "GET %s HTTP/1.1\r\nHost: bench.test\r\nConnection: keep-alive\r\n\r\n", path);
    if (request_len <= 0 || (size_t)request_len >= sizeof request) return 2;

    int *fds = calloc((size_t)count, sizeof *fds);
    if (fds == NULL) return 1;

    double deadline = now_seconds() + OPEN_PHASE_SECONDS;
    int opened = 0, ok = 0, bad = 0;
    for (; opened < count && !stop_requested; opened++) {
        if (now_seconds() > deadline) {
            fprintf(stderr, "idleclient: gave up after %d s with %d connections open\n", OPEN_PHASE_SECONDS, opened);
            break;
        }
        int fd = open_one(port, request, (size_t)request_len);
        if (fd < 0) {
            fprintf(stderr, "idleclient: connection %d: %s\n", opened, strerror(errno));
            break;
        }
        fds[opened] = fd;
        if (send_only) continue;
        int status = read_response(fd);
        if (status < 0) {
            fprintf(stderr, "idleclient: connection %d: no complete response (%s)\n", opened, strerror(errno));
            opened++;
            break;
        }
        if (status >= 200 && status < 300) ok++; else bad++;
    }

    if (send_only ? opened != count : ok + bad != count) {
        close_all(fds, opened);
        return 1;
    }

    printf("ready %d ok=%d bad=%d\n", count, ok, bad);
    fflush(stdout);

    /* Hold. A pipe, FIFO or terminal on stdin ends the hold when closed (EOF); anything else (/dev/null) is
     * ignored, and then only a signal or the hold time ends it. */
    struct stat st;
    int watch_stdin = isatty(STDIN_FILENO) ||
                      (fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)));
    double hold_until = now_seconds() + hold;
    struct pollfd in = { .fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN };
    while (!stop_requested && now_seconds() < hold_until) {
        int r = poll(&in, 1, 200);
        if (r > 0 && (in.revents & (POLLIN | POLLHUP))) {
            char scratch[256];
            if (read(STDIN_FILENO, scratch, sizeof scratch) <= 0) break; /* EOF: the caller is done */
        }
    }

    close_all(fds, opened);
    free(fds);
    return 0;
}
