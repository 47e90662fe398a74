#include "udp_exchange.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t mmcu_udp_exchange(const char *host, uint16_t port, const uint8_t *query, size_t query_len,
                          uint8_t *answer, size_t capacity, int timeout_ms) {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        addr_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        addr_len = sizeof *v6;
    } else {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(addr.ss_family, SOCK_DGRAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, addr_len) != 0 || send(fd, query, query_len, 0) != (ssize_t)query_len) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, timeout_ms);
    if (ready <= 0) {
        close(fd);
        errno = ready == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    ssize_t n = recv(fd, answer, capacity, 0);
    int saved = errno;
    close(fd);
    errno = saved;
    return n;
}

void mmcu_system_nameserver(char *out, size_t capacity) {
    out[0] = '\0';
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char addr[256];
        if (sscanf(line, " nameserver %255s", addr) == 1) {
            snprintf(out, capacity, "%s", addr);
            break;
        }
    }
    fclose(f);
}
