/*
 * The only C that MockMCU needs: non-variadic wrappers around libmicrohttpd's
 * variadic entry points, so that Swift never calls a C-variadic function.
 */
#ifndef MOCKMCU_CMICROHTTPD_SHIM_H
#define MOCKMCU_CMICROHTTPD_SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <poll.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/** libmicrohttpd's MHD_SIZE_UNKNOWN, which Swift does not import. */
static const uint64_t MMCU_SIZE_UNKNOWN = MHD_SIZE_UNKNOWN;
/** Reader return values that Swift does not import as constants. */
static const ssize_t MMCU_CONTENT_END_OF_STREAM = MHD_CONTENT_READER_END_OF_STREAM;
static const ssize_t MMCU_CONTENT_END_WITH_ERROR = MHD_CONTENT_READER_END_WITH_ERROR;

/** Settings for mmcu_start_daemon; zero means "libmicrohttpd's default" unless noted. */
struct mmcu_daemon_settings {
    unsigned int flags;
    uint16_t port;            /* 0 = ephemeral */
    const char *bind_host;    /* numeric IPv4 or IPv6 address, NULL = any */
    unsigned int pool_threads;
    unsigned int connection_limit;
    unsigned int connection_memory_limit;
    unsigned int connection_timeout;   /* seconds; 0 = none */
    unsigned int listen_backlog;
    unsigned int max_query_params;     /* more: the query is not parsed, the request is marked (0 = no limit) */
    const char *tls_key_pem;  /* with tls_cert_pem: serve HTTPS (GnuTLS) */
    const char *tls_cert_pem;
};

/**
 * The context a request with too many query parameters starts with (see
 * mmcu_uri_seen): libmicrohttpd runs out of connection memory storing them and
 * then never answers, so they are dropped before it parses them.
 */
static inline void *mmcu_too_many_params(void) { return (void *)(uintptr_t)1; /* never an object's address */ }

/**
 * URI callback, before libmicrohttpd parses the query. cls packs the most
 * parameters (low 16 bits) and a byte budget (the rest): parsing stores each
 * parameter (about 64 bytes of bookkeeping) in the connection's memory, next
 * to the request itself; past either bound the query is emptied and the
 * request marked, to be answered 414.
 */
static void *mmcu_uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)c;
    uintptr_t packed = (uintptr_t)cls;
    size_t limit = packed & 0xFFFF, budget = packed >> 16;
    char *query = strchr(uri, '?');
    if (limit == 0 || query == NULL) return NULL;
    size_t params = 1, length = strlen(query + 1);
    for (const char *p = query + 1; *p != '\0'; p++) {
        if (*p == '&') params++;
    }
    if (params > limit || length + 64 * params > budget) {
        query[1] = '\0'; /* the buffer is libmicrohttpd's own, writable; it then parses an empty query */
        return mmcu_too_many_params();
    }
    return NULL;
}

/**
 * Starts a daemon through MHD_OPTION_ARRAY. Returns NULL and sets *error
 * (an errno value, EINVAL for an unparseable bind_host) on failure.
 */
static inline struct MHD_Daemon *mmcu_start_daemon(
    const struct mmcu_daemon_settings *s,
    MHD_AccessHandlerCallback handler, void *handler_cls,
    MHD_RequestCompletedCallback completed, void *completed_cls,
    int *error)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct sockaddr *bind_addr = NULL;
    unsigned int flags = s->flags;
    struct MHD_OptionItem opts[14];
    int n = 0;

    *error = 0;
    if (s->bind_host != NULL && s->bind_host[0] != '\0') {
        memset(&v4, 0, sizeof v4);
        memset(&v6, 0, sizeof v6);
        if (inet_pton(AF_INET, s->bind_host, &v4.sin_addr) == 1) {
            v4.sin_family = AF_INET;
            v4.sin_port = htons(s->port);
            bind_addr = (const struct sockaddr *)&v4;
        } else if (inet_pton(AF_INET6, s->bind_host, &v6.sin6_addr) == 1) {
            v6.sin6_family = AF_INET6;
            v6.sin6_port = htons(s->port);
            bind_addr = (const struct sockaddr *)&v6;
            flags |= MHD_USE_IPv6;
        } else {
            *error = EINVAL;
            return NULL;
        }
    }
#define MMCU_OPT(o, v, p) do { opts[n].option = (o); opts[n].value = (intptr_t)(v); opts[n].ptr_value = (p); n++; } while (0)
    MMCU_OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, completed_cls);
    if (s->tls_key_pem != NULL && s->tls_cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            *error = ENOTSUP;
            return NULL;
        }
        flags |= MHD_USE_TLS;
        MMCU_OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)s->tls_key_pem);
        MMCU_OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)s->tls_cert_pem);
    }
    if (bind_addr != NULL) MMCU_OPT(MHD_OPTION_SOCK_ADDR, 0, (void *)bind_addr);
    if (s->pool_threads > 1) MMCU_OPT(MHD_OPTION_THREAD_POOL_SIZE, s->pool_threads, NULL);
    if (s->connection_limit > 0) MMCU_OPT(MHD_OPTION_CONNECTION_LIMIT, s->connection_limit, NULL);
    if (s->connection_memory_limit > 0) MMCU_OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, s->connection_memory_limit, NULL);
    MMCU_OPT(MHD_OPTION_CONNECTION_TIMEOUT, s->connection_timeout, NULL);
    if (s->listen_backlog > 0) MMCU_OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, s->listen_backlog, NULL);
    if (s->max_query_params > 0) {
        uintptr_t memory = s->connection_memory_limit > 0 ? s->connection_memory_limit : 32768;
        uintptr_t packed = ((memory / 2) << 16) | (s->max_query_params & 0xFFFF);
        MMCU_OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)mmcu_uri_seen, (void *)packed);
    }
    MMCU_OPT(MHD_OPTION_END, 0, NULL);
#undef MMCU_OPT
    errno = 0;
    struct MHD_Daemon *d = MHD_start_daemon(flags, s->port, NULL, NULL, handler, handler_cls,
                                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (d == NULL) *error = (flags & MHD_USE_TLS) ? EPROTO : (errno != 0 ? errno : EADDRINUSE);
    return d;
}

/** The port the daemon is bound to (useful after asking for port 0). */
static inline uint16_t mmcu_daemon_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/** Sets one connection's idle timeout in seconds (0 = never). */
static inline void mmcu_set_connection_timeout(struct MHD_Connection *c, unsigned int seconds)
{
    (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/** The connection's socket, or -1. */
static inline int mmcu_connection_fd(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int)info->connect_fd;
}

/** Shuts both directions of a socket down, so that its connection's next write fails and it closes. */
static inline void mmcu_cut(int fd)
{
    if (fd >= 0) (void)shutdown(fd, SHUT_RDWR);
}

/**
 * Resets a TCP connection now: the peer gets an RST, not a FIN (a zero linger, then a
 * disconnect by connect(AF_UNSPEC), which Linux turns into an active reset). The socket
 * stays open for its owner, whose next write fails.
 */
static inline void mmcu_reset(int fd)
{
    if (fd < 0) return;
    struct linger off = { 1, 0 };
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
    struct sockaddr unspec;
    memset(&unspec, 0, sizeof unspec);
    unspec.sa_family = AF_UNSPEC;
    (void)connect(fd, &unspec, sizeof unspec);
}

/**
 * Marks in gone[i] (1/0) whether the peer of fds[i] has closed or reset its side:
 * one poll(2) with no wait, for POLLRDHUP, POLLHUP and POLLERR. Returns how many
 * are gone, or -1 on error.
 */
static inline int mmcu_peers_gone(const int *fds, int count, unsigned char *gone)
{
#ifndef POLLRDHUP
#define POLLRDHUP 0x2000 /* Linux: the peer shut down its writing side */
#endif
    enum { batch = 256 };
    struct pollfd p[batch];
    int total = 0;
    for (int start = 0; start < count; start += batch) {
        int n = count - start < batch ? count - start : batch;
        for (int i = 0; i < n; i++) {
            p[i].fd = fds[start + i];
            p[i].events = POLLRDHUP;
            p[i].revents = 0;
        }
        if (poll(p, (nfds_t)n, 0) < 0) return -1;
        for (int i = 0; i < n; i++) {
            int g = (p[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
            gone[start + i] = (unsigned char)g;
            total += g;
        }
    }
    return total;
}

/** Writes the peer's "address:port" into buf (empty when unknown). */
static inline void mmcu_client_address(struct MHD_Connection *c, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "";
    unsigned port = 0;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (info == NULL || info->client_addr == NULL) return;
    if (info->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)info->client_addr;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else if (info->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)info->client_addr;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(buf, len, "[%s]:%u", host, port);
    }
}

#endif
