/*
 * One UDP request/response exchange (a DNS query), in C so that the client's
 * Swift code needs no unsafe pointer work. Foundation offers no UDP on Linux.
 */
#ifndef MOCKMCU_UDP_EXCHANGE_H
#define MOCKMCU_UDP_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Sends `query` to the numeric IPv4/IPv6 address `host`:`port` and waits up to
 * `timeout_ms` for one datagram, copied into `answer` (at most `capacity`
 * bytes). Returns the answer's length, or -1 (errno set; ETIMEDOUT on timeout,
 * EINVAL for an unparseable address).
 */
ssize_t mmcu_udp_exchange(const char *host, uint16_t port, const uint8_t *query, size_t query_len,
                          uint8_t *answer, size_t capacity, int timeout_ms);

/* The first "nameserver" of /etc/resolv.conf written into `out` (empty if none). */
void mmcu_system_nameserver(char *out, size_t capacity);

#endif
