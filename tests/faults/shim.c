/*
 * Fault injection for Efis's tests and soak: a shared library loaded with
 * LD_PRELOAD that makes write, fsync/fdatasync, rename, fork and open fail
 * (or, for write, return short) at chosen or random calls. It owns nothing
 * of Efis; it only wraps those C library calls.
 *
 * Configuration, read from the environment at load time:
 *   EFIS_FAULT_PATH=TEXT      only files whose path contains TEXT are
 *                             affected (write, fsync, rename, open; fork
 *                             is never filtered). Default: every file,
 *                             never a socket, pipe or terminal.
 *   EFIS_FAULT_WRITE=SPEC     and EFIS_FAULT_FSYNC, EFIS_FAULT_RENAME,
 *   EFIS_FAULT_FORK, EFIS_FAULT_OPEN: when each call fails.
 *   EFIS_FAULT_CONTROL=FILE   the same NAME=SPEC lines read from FILE
 *                             instead (re-read when its modification time
 *                             changes, at most every 20 ms): a soak turns
 *                             faults on and off while the server runs. A
 *                             missing or empty file means no faults.
 *
 * SPEC is a comma-separated list: first the mode, then options.
 *   off | always | after:N (every call after the first N) | nth:N (only
 *   call N, counting from 1) | prob:P (each call with probability P)
 *   errno=EIO|ENOSPC|EDQUOT|EAGAIN|ENOMEM|EACCES|EROFS (default EIO)
 *   short (write only: the call writes half of what it was given and
 *   returns that count; the next call is then counted as usual)
 * Calls are counted per kind from the moment the SPEC took effect.
 *
 * Every injected fault is reported on standard error as one line,
 * "efis-fault: <call> <path> -> <what>", so the server's log shows them.
 *
 * Invariants: the wrappers are thread-safe (atomics only; the control
 * file is re-read under a spin flag), never allocate on the write path,
 * and behave exactly like the real call whenever no fault is chosen.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum kind { K_WRITE, K_FSYNC, K_RENAME, K_FORK, K_OPEN, K_COUNT };
static const char *kind_names[K_COUNT] = {"WRITE", "FSYNC", "RENAME", "FORK", "OPEN"};

enum mode { M_OFF, M_ALWAYS, M_AFTER, M_NTH, M_PROB };

struct spec {
    int mode;
    long n;
    double p;
    int err;
    int shortw;
};

static struct spec specs[K_COUNT];
static long calls[K_COUNT];
static char path_filter[512];
static char control_path[512];
static time_t control_mtime_s;
static long control_mtime_ns;
static int control_lock;
static struct timespec control_checked;
static uint64_t rng_state = 88172645463325252ULL;

/* Per descriptor: 0 unknown, 1 affected, 2 not affected. */
#define MAX_FD 65536
static unsigned char fd_state[MAX_FD];

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static pid_t (*real_fork)(void);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);

static int parse_errno(const char *name) {
    if (!strcmp(name, "ENOSPC")) return ENOSPC;
    if (!strcmp(name, "EDQUOT")) return EDQUOT;
    if (!strcmp(name, "EAGAIN")) return EAGAIN;
    if (!strcmp(name, "ENOMEM")) return ENOMEM;
    if (!strcmp(name, "EACCES")) return EACCES;
    if (!strcmp(name, "EROFS")) return EROFS;
    return EIO;
}

static void parse_spec(struct spec *s, const char *text) {
    char buf[256];
    memset(s, 0, sizeof *s);
    s->err = EIO;
    if (!text) return;
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    int first = 1;
    for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save), first = 0) {
        while (*part == ' ') part++;
        if (first) {
            if (!strcmp(part, "always")) s->mode = M_ALWAYS;
            else if (!strncmp(part, "after:", 6)) { s->mode = M_AFTER; s->n = atol(part + 6); }
            else if (!strncmp(part, "nth:", 4)) { s->mode = M_NTH; s->n = atol(part + 4); }
            else if (!strncmp(part, "prob:", 5)) { s->mode = M_PROB; s->p = atof(part + 5); }
            else s->mode = M_OFF;
        } else if (!strncmp(part, "errno=", 6)) {
            s->err = parse_errno(part + 6);
        } else if (!strcmp(part, "short")) {
            s->shortw = 1;
        }
    }
}

static void resolve(void) {
    if (real_write) return;
    real_write = dlsym(RTLD_NEXT, "write");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_rename = dlsym(RTLD_NEXT, "rename");
    real_fork = dlsym(RTLD_NEXT, "fork");
    real_open = dlsym(RTLD_NEXT, "open");
    real_open64 = dlsym(RTLD_NEXT, "open64");
    real_openat = dlsym(RTLD_NEXT, "openat");
    real_openat64 = dlsym(RTLD_NEXT, "openat64");
    real_close = dlsym(RTLD_NEXT, "close");
}

__attribute__((constructor)) static void init(void) {
    resolve();
    const char *filter = getenv("EFIS_FAULT_PATH");
    if (filter) snprintf(path_filter, sizeof path_filter, "%s", filter);
    const char *control = getenv("EFIS_FAULT_CONTROL");
    if (control) {
        snprintf(control_path, sizeof control_path, "%s", control);
        return;
    }
    char name[32];
    for (int k = 0; k < K_COUNT; k++) {
        snprintf(name, sizeof name, "EFIS_FAULT_%s", kind_names[k]);
        parse_spec(&specs[k], getenv(name));
    }
}

/* Re-reads the control file when it changed (at most every 20 ms). */
static void refresh_control(void) {
    if (!control_path[0]) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    long elapsed_ms = (now.tv_sec - control_checked.tv_sec) * 1000 + (now.tv_nsec - control_checked.tv_nsec) / 1000000;
    if (elapsed_ms < 20 && control_checked.tv_sec != 0) return;
    if (__atomic_exchange_n(&control_lock, 1, __ATOMIC_ACQUIRE)) return;
    control_checked = now;
    struct stat st;
    int present = stat(control_path, &st) == 0;
    time_t mtime_s = present ? st.st_mtim.tv_sec : 0;
    long mtime_ns = present ? st.st_mtim.tv_nsec : 0;
    if (mtime_s != control_mtime_s || mtime_ns != control_mtime_ns) {
        control_mtime_s = mtime_s;
        control_mtime_ns = mtime_ns;
        struct spec fresh[K_COUNT];
        for (int k = 0; k < K_COUNT; k++) parse_spec(&fresh[k], NULL);
        FILE *f = present ? fopen(control_path, "r") : NULL;
        if (f) {
            char line[300];
            while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\r\n")] = 0;
                char *eq = strchr(line, '=');
                if (!eq) continue;
                *eq = 0;
                for (int k = 0; k < K_COUNT; k++)
                    if (!strcmp(line, kind_names[k])) parse_spec(&fresh[k], eq + 1);
            }
            fclose(f);
        }
        for (int k = 0; k < K_COUNT; k++) {
            if (memcmp(&fresh[k], &specs[k], sizeof fresh[k]) != 0) {
                specs[k] = fresh[k];
                __atomic_store_n(&calls[k], 0, __ATOMIC_RELAXED);
            }
        }
    }
    __atomic_store_n(&control_lock, 0, __ATOMIC_RELEASE);
}

static double next_random(void) {
    uint64_t x = __atomic_load_n(&rng_state, __ATOMIC_RELAXED);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    __atomic_store_n(&rng_state, x, __ATOMIC_RELAXED);
    return (double)(x >> 11) / (double)(1ULL << 53);
}

/* Whether this call of `kind` fails. */
static int chosen(int k) {
    refresh_control();
    struct spec *s = &specs[k];
    if (s->mode == M_OFF) return 0;
    long n = __atomic_add_fetch(&calls[k], 1, __ATOMIC_RELAXED);
    switch (s->mode) {
    case M_ALWAYS: return 1;
    case M_AFTER: return n > s->n;
    case M_NTH: return n == s->n;
    case M_PROB: return next_random() < s->p;
    default: return 0;
    }
}

static int path_matches(const char *path) {
    if (!path) return 0;
    if (!path_filter[0]) return 1;
    return strstr(path, path_filter) != NULL;
}

/* Whether descriptor `fd` is a file the faults apply to. */
static int fd_affected(int fd) {
    if (fd < 0 || fd >= MAX_FD) return 0;
    unsigned char state = __atomic_load_n(&fd_state[fd], __ATOMIC_RELAXED);
    if (state == 0) {
        char link[64], target[1024];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        state = 2;
        if (n > 0) {
            target[n] = 0;
            if (target[0] == '/' && path_matches(target)) state = 1;
        }
        __atomic_store_n(&fd_state[fd], state, __ATOMIC_RELAXED);
    }
    return state == 1;
}

static void report(const char *call, const char *what, int fd, const char *path) {
    char line[1200], target[1024] = "";
    if (!path && fd >= 0) {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) target[n] = 0;
        path = target;
    }
    int len = snprintf(line, sizeof line, "efis-fault: %s %s -> %s\n", call, path ? path : "", what);
    if (len > 0) real_write(2, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

ssize_t write(int fd, const void *buf, size_t count) {
    resolve();
    refresh_control();
    if (count > 0 && specs[K_WRITE].mode != M_OFF && fd_affected(fd) && chosen(K_WRITE)) {
        if (specs[K_WRITE].shortw && count > 1) {
            report("write", "short", fd, NULL);
            return real_write(fd, buf, count / 2);
        }
        report("write", strerror(specs[K_WRITE].err), fd, NULL);
        errno = specs[K_WRITE].err;
        return -1;
    }
    return real_write(fd, buf, count);
}

static int fail_sync(int fd, const char *call) {
    if (fd_affected(fd) && chosen(K_FSYNC)) {
        report(call, strerror(specs[K_FSYNC].err), fd, NULL);
        errno = specs[K_FSYNC].err;
        return 1;
    }
    return 0;
}

int fsync(int fd) {
    resolve();
    refresh_control();
    if (specs[K_FSYNC].mode != M_OFF && fail_sync(fd, "fsync")) return -1;
    return real_fsync(fd);
}

int fdatasync(int fd) {
    resolve();
    refresh_control();
    if (specs[K_FSYNC].mode != M_OFF && fail_sync(fd, "fdatasync")) return -1;
    return real_fdatasync(fd);
}

int rename(const char *from, const char *to) {
    resolve();
    refresh_control();
    if (specs[K_RENAME].mode != M_OFF && path_matches(to) && chosen(K_RENAME)) {
        report("rename", strerror(specs[K_RENAME].err), -1, to);
        errno = specs[K_RENAME].err;
        return -1;
    }
    return real_rename(from, to);
}

pid_t fork(void) {
    resolve();
    refresh_control();
    if (specs[K_FORK].mode != M_OFF && chosen(K_FORK)) {
        int err = specs[K_FORK].err == EIO ? EAGAIN : specs[K_FORK].err;
        report("fork", strerror(err), -1, "-");
        errno = err;
        return -1;
    }
    return real_fork();
}

static int fail_open(const char *path, int flags) {
    (void)flags;
    refresh_control();
    if (specs[K_OPEN].mode != M_OFF && path_matches(path) && chosen(K_OPEN)) {
        report("open", strerror(specs[K_OPEN].err), -1, path);
        errno = specs[K_OPEN].err;
        return 1;
    }
    return 0;
}

static void opened(int fd) {
    if (fd >= 0 && fd < MAX_FD) __atomic_store_n(&fd_state[fd], 0, __ATOMIC_RELAXED);
}

#define MODE_ARG(flags, mode)                                       \
    mode_t mode = 0;                                                \
    if ((flags) & (O_CREAT | O_TMPFILE)) {                          \
        va_list ap;                                                 \
        va_start(ap, flags);                                        \
        mode = (mode_t)va_arg(ap, int);                             \
        va_end(ap);                                                 \
    }

int open(const char *path, int flags, ...) {
    resolve();
    MODE_ARG(flags, mode);
    if (fail_open(path, flags)) return -1;
    int fd = real_open(path, flags, mode);
    opened(fd);
    return fd;
}

int open64(const char *path, int flags, ...) {
    resolve();
    MODE_ARG(flags, mode);
    if (fail_open(path, flags)) return -1;
    int fd = real_open64(path, flags, mode);
    opened(fd);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...) {
    resolve();
    MODE_ARG(flags, mode);
    if (fail_open(path, flags)) return -1;
    int fd = real_openat(dirfd, path, flags, mode);
    opened(fd);
    return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
    resolve();
    MODE_ARG(flags, mode);
    if (fail_open(path, flags)) return -1;
    int fd = real_openat64(dirfd, path, flags, mode);
    opened(fd);
    return fd;
}

int close(int fd) {
    resolve();
    if (fd >= 0 && fd < MAX_FD) __atomic_store_n(&fd_state[fd], 0, __ATOMIC_RELAXED);
    return real_close(fd);
}
