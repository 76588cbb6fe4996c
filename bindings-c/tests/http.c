#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

char *http_get(int port, const char *path, const char *bearer, int *status) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return NULL;
    }
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
                     path, bearer);
    if (write(fd, request, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 + 1 > cap) buf = realloc(buf, cap *= 2);
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got <= 0) break;
        len += (size_t)got;
        buf[len] = '\0';
        /* A keep-alive server (the fault proxy) may ignore Connection: close: a complete
         * Content-Length body ends the response too. */
        const char *end = strstr(buf, "\r\n\r\n"), *length = strcasestr(buf, "\r\ncontent-length:");
        if (end != NULL && length != NULL && length < end &&
            len >= (size_t)(end + 4 - buf) + strtoul(length + 17, NULL, 10))
            break;
    }
    close(fd);
    buf[len] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", status) != 1 || body == NULL) {
        free(buf);
        return NULL;
    }
    body += 4;
    /* The collector answers with Content-Length or chunked; de-chunk if needed. */
    if (strstr(buf, "ransfer-Encoding: chunked") != NULL && strstr(buf, "ransfer-Encoding: chunked") < body) {
        char *out = malloc(len + 1), *w = out, *r = body;
        for (;;) {
            unsigned long size = strtoul(r, &r, 16);
            r = strstr(r, "\r\n");
            if (size == 0 || r == NULL) break;
            r += 2;
            memcpy(w, r, size);
            w += size;
            r += size + 2;
        }
        *w = '\0';
        free(buf);
        return out;
    }
    char *out = strdup(body);
    free(buf);
    return out;
}

int count_occurrences(const char *haystack, const char *needle) {
    int n = 0;
    size_t step = strlen(needle);
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + step, needle)) n++;
    return n;
}

long json_long(const char *json, const char *key) {
    char quoted[128];
    snprintf(quoted, sizeof quoted, "\"%s\":", key);
    const char *at = strstr(json, quoted);
    return at ? strtol(at + strlen(quoted), NULL, 10) : -1;
}
