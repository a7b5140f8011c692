/* Files: atomic replacement (temporary file, fsync, rename), whole-file reads, mkdir -p,
 * and the clock and memory figures the benchmarks print. */
#include "rlhf/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Writes all of size bytes to fd, retrying short writes. */
static int write_all(int fd, const void *data, size_t size) {
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* fsyncs the directory holding path so the rename itself is durable. */
static void sync_parent_directory(const char *path) {
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* Where an atomic write of path must go, in *target (malloc'd), and the mode the new file
 * gets: a symbolic link is followed, so the file it names is replaced and the link stays
 * (rename would replace the link itself); an existing file keeps its permissions, a new one
 * gets 0644. Refuses what cannot be replaced by a rename: a directory, a device, a pipe. */
static int atomic_target(const char *path, char **target, mode_t *mode, rlhf_error *error) {
    struct stat info;
    *mode = 0644;
    if (lstat(path, &info) == 0 && S_ISLNK(info.st_mode)) {
        *target = realpath(path, NULL);
        if (!*target) {
            rlhf_error_set(error, "%s: a symbolic link to nothing usable: %s", path, strerror(errno));
            return -1;
        }
    } else {
        *target = strdup(path);
        if (!*target) {
            rlhf_error_set(error, "%s: out of memory", path);
            return -1;
        }
    }
    if (stat(*target, &info) == 0) {
        if (!S_ISREG(info.st_mode)) {
            rlhf_error_set(error, "%s: not a regular file (rlhf writes files whole and replaces them atomically)", path);
            free(*target);
            *target = NULL;
            return -1;
        }
        *mode = info.st_mode & 07777;
    }
    return 0;
}

/* Writes the chunks to a temporary file beside path, fsyncs, renames it over path and syncs
 * the folder: afterwards path holds the old content or all of the new. */
int rlhf_write_file_atomic_chunks(const char *path, const void *const *chunks, const size_t *sizes,
                                  int chunk_count, rlhf_error *error) {
    char *target;
    mode_t mode;
    if (atomic_target(path, &target, &mode, error) != 0) return -1;
    size_t length = strlen(target);
    char *temporary = malloc(length + 16);
    if (!temporary) {
        rlhf_error_set(error, "%s: out of memory", path);
        free(target);
        return -1;
    }
    snprintf(temporary, length + 16, "%s.tmp.XXXXXX", target);
    int fd = mkstemp(temporary);
    if (fd < 0) {
        rlhf_error_set(error, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(temporary);
        free(target);
        return -1;
    }
    for (int i = 0; i < chunk_count; i++) {
        if (write_all(fd, chunks[i], sizes[i]) != 0) {
            rlhf_error_set(error, "%s: write failed: %s", path, strerror(errno));
            goto fail;
        }
    }
    if (fsync(fd) != 0) {
        rlhf_error_set(error, "%s: fsync failed: %s", path, strerror(errno));
        goto fail;
    }
    fchmod(fd, mode);
    if (close(fd) != 0) {
        fd = -1;
        rlhf_error_set(error, "%s: close failed: %s", path, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(temporary, target) != 0) {
        rlhf_error_set(error, "%s: rename failed: %s", path, strerror(errno));
        goto fail;
    }
    sync_parent_directory(target);
    free(temporary);
    free(target);
    return 0;
fail:
    if (fd >= 0) close(fd);
    unlink(temporary);
    free(temporary);
    free(target);
    return -1;
}

/* unlink(path), a missing file being no error, then a sync of its folder. */
int rlhf_remove_file(const char *path, rlhf_error *error) {
    if (unlink(path) != 0 && errno != ENOENT) {
        rlhf_error_set(error, "%s: cannot remove: %s", path, strerror(errno));
        return -1;
    }
    sync_parent_directory(path); /* the removal reaches the disk before the caller goes on */
    return 0;
}

/* open(path, O_RDONLY | O_NONBLOCK), refusing what is not a regular file before anything
 * blocks on it (a FIFO), then back to blocking reads. */
int rlhf_open_regular(const char *path, rlhf_error *error) {
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        rlhf_error_set(error, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        rlhf_error_set(error, "%s: not a regular file (a FIFO, device or folder cannot be read as input)", path);
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

/* rlhf_write_file_atomic_chunks with one chunk. */
int rlhf_write_file_atomic(const char *path, const void *data, size_t size, rlhf_error *error) {
    const void *chunks[1] = {data};
    size_t sizes[1] = {size};
    return rlhf_write_file_atomic_chunks(path, chunks, sizes, 1, error);
}

/* The whole regular file at path, malloc'd and NUL-terminated, into *data and *size. */
int rlhf_read_file(const char *path, char **data, size_t *size, rlhf_error *error) {
    int fd = rlhf_open_regular(path, error);
    if (fd < 0) return -1;
    FILE *file = fdopen(fd, "rb");
    if (!file) {
        rlhf_error_set(error, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    struct stat info;
    if (fstat(fileno(file), &info) != 0) {
        rlhf_error_set(error, "%s: %s", path, strerror(errno));
        fclose(file);
        return -1;
    }
    size_t length = (size_t)info.st_size;
    char *buffer = malloc(length + 1);
    if (!buffer) {
        rlhf_error_set(error, "%s: out of memory reading %zu bytes", path, length);
        fclose(file);
        return -1;
    }
    if (length > 0 && fread(buffer, 1, length, file) != length) {
        rlhf_error_set(error, "%s: read failed", path);
        free(buffer);
        fclose(file);
        return -1;
    }
    fclose(file);
    buffer[length] = '\0';
    *data = buffer;
    *size = length;
    return 0;
}

/* mkdir -p: each missing folder of path in turn, an existing directory being no error. */
int rlhf_make_directory(const char *path, rlhf_error *error) {
    char *copy = strdup(path);
    if (!copy) {
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
                rlhf_error_set(error, "%s: cannot create directory: %s", copy, strerror(errno));
                free(copy);
                return -1;
            }
            *p = saved;
            if (saved == '\0') break;
        }
    }
    free(copy);
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode)) {
        rlhf_error_set(error, "%s: exists and is not a directory", path);
        return -1;
    }
    return 0;
}

/* Whether path (or, when missing, its nearest existing parent) is a writable directory. */
int rlhf_check_output_directory(const char *path, rlhf_error *error) {
    struct stat info;
    if (stat(path, &info) == 0) {
        if (!S_ISDIR(info.st_mode)) {
            rlhf_error_set(error, "%s: exists and is not a directory", path);
            return -1;
        }
        if (access(path, W_OK | X_OK) != 0) {
            rlhf_error_set(error, "%s: cannot write into it: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    /* missing: the nearest folder above that exists must take new entries */
    char *copy = strdup(path);
    if (!copy) {
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    int status = 0;
    for (;;) {
        /* the parent of what copy names: drop trailing slashes, then the last component */
        size_t length = strlen(copy);
        while (length > 1 && copy[length - 1] == '/') copy[--length] = '\0';
        char *slash = strrchr(copy, '/');
        const char *parent = copy;
        if (!slash) parent = ".";
        else if (slash == copy) parent = "/";
        else *slash = '\0';
        if (stat(parent, &info) == 0) {
            if (!S_ISDIR(info.st_mode)) {
                rlhf_error_set(error, "%s: cannot be created: %s is not a directory", path, parent);
                status = -1;
            } else if (access(parent, W_OK | X_OK) != 0) {
                rlhf_error_set(error, "%s: cannot be created in %s: %s", path, parent, strerror(errno));
                status = -1;
            }
            break;
        }
        if (parent != copy) break; /* "." or "/" cannot be missing; nothing above to try */
    }
    free(copy);
    return status;
}

/* CLOCK_MONOTONIC in seconds: for intervals only. */
double rlhf_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* getrusage's ru_maxrss (KiB on Linux) in MiB. */
double rlhf_peak_rss_mb(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}
