/* A small WASI command exercising what the baton CLI tests check:
 * arguments, environment, exit codes, stdin/stdout, clocks, randomness,
 * file I/O inside a preopened directory, and sandbox escapes.
 * Usage: wasi-demo.wasm COMMAND [ARGS...] (see main). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmd_args(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    const char *g = getenv("GREETING");
    printf("GREETING=%s\n", g ? g : "(unset)");
    return 0;
}

static int cmd_cat(void) {
    char buf[256];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    fprintf(stderr, "read %zu bytes\n", total);
    return 0;
}

static int cmd_clock(void) {
    struct timespec a, b, r;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec d = {0, 20 * 1000 * 1000};
    if (nanosleep(&d, NULL) != 0) { perror("nanosleep"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long ns = (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    printf("slept %s\n", ns >= 20000000LL ? "ok" : "too short");
    clock_gettime(CLOCK_REALTIME, &r);
    printf("realtime %s\n", r.tv_sec > 1600000000 ? "ok" : "wrong");
    unsigned char rnd[32];
    if (getentropy(rnd, sizeof rnd) != 0) { perror("getentropy"); return 1; }
    int nonzero = 0;
    for (int i = 0; i < 32; i++) nonzero |= rnd[i];
    printf("random %s\n", nonzero ? "ok" : "zero");
    return 0;
}

static int check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) printf("  errno=%d (%s)\n", errno, strerror(errno));
    return ok ? 0 : 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmd_fs(const char *dir) {
    char p[512], q[512], buf[128];
    int bad = 0;
    snprintf(p, sizeof p, "%s/hello.txt", dir);
    FILE *f = fopen(p, "w");
    bad |= check(f != NULL, "create");
    if (!f) return 1;
    fputs("hello, file\n", f);
    fclose(f);
    f = fopen(p, "a");
    bad |= check(f != NULL, "append-open");
    if (f) { fputs("second line\n", f); fclose(f); }
    f = fopen(p, "r");
    bad |= check(f != NULL, "reopen");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        bad |= check(strcmp(buf, "hello, file\nsecond line\n") == 0, "read back");
        fseek(f, 7, SEEK_SET);
        n = fread(buf, 1, 4, f);
        buf[n] = 0;
        bad |= check(strcmp(buf, "file") == 0, "seek+read");
        bad |= check(ftell(f) == 11, "tell");
        fclose(f);
    }
    struct stat st;
    bad |= check(stat(p, &st) == 0 && st.st_size == 24 && S_ISREG(st.st_mode), "stat");
    int fd = open(p, O_RDWR);
    bad |= check(fd >= 0 && pwrite(fd, "HELLO", 5, 0) == 5, "pwrite");
    bad |= check(fd >= 0 && pread(fd, buf, 5, 0) == 5 && memcmp(buf, "HELLO", 5) == 0, "pread");
    bad |= check(fd >= 0 && ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate");
    if (fd >= 0) close(fd);
    snprintf(q, sizeof q, "%s/sub", dir);
    bad |= check(mkdir(q, 0755) == 0, "mkdir");
    snprintf(q, sizeof q, "%s/sub/moved.txt", dir);
    bad |= check(rename(p, q) == 0, "rename");
    bad |= check(access(p, F_OK) != 0 && errno == ENOENT, "old name gone");
    snprintf(p, sizeof p, "%s/sub/link", dir);
    bad |= check(symlink("moved.txt", p) == 0, "symlink");
    ssize_t ln = readlink(p, buf, sizeof buf - 1);
    bad |= check(ln == 9 && memcmp(buf, "moved.txt", 9) == 0, "readlink");
    f = fopen(p, "r");
    bad |= check(f != NULL && fread(buf, 1, 5, f) == 5 && memcmp(buf, "HELLO", 5) == 0, "read via symlink");
    if (f) fclose(f);
    snprintf(p, sizeof p, "%s/sub", dir);
    DIR *d = opendir(p);
    bad |= check(d != NULL, "opendir");
    if (d) {
        char *names[16];
        int count = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL && count < 16) names[count++] = strdup(e->d_name);
        closedir(d);
        qsort(names, count, sizeof names[0], cmp_str);
        printf("readdir:");
        for (int i = 0; i < count; i++) { printf(" %s", names[i]); free(names[i]); }
        printf("\n");
    }
    bad |= check(rmdir(p) != 0 && errno == ENOTEMPTY, "rmdir non-empty fails");
    snprintf(q, sizeof q, "%s/sub/link", dir);
    bad |= check(unlink(q) == 0, "unlink symlink");
    snprintf(q, sizeof q, "%s/sub/moved.txt", dir);
    bad |= check(unlink(q) == 0, "unlink file");
    bad |= check(rmdir(p) == 0, "rmdir");
    snprintf(q, sizeof q, "%s/kept.txt", dir);
    f = fopen(q, "w");
    if (f) { fputs("kept\n", f); fclose(f); }
    bad |= check(f != NULL, "leave kept.txt");
    return bad;
}

/* Each attempt must fail; prints the errno it failed with. */
static int escape(const char *what, int result) {
    if (result >= 0) { printf("%s: ESCAPED\n", what); return 1; }
    printf("%s: blocked (%s)\n", what, strerror(errno));
    return 0;
}

static int cmd_escape(const char *dir) {
    char p[512];
    int bad = 0;
    snprintf(p, sizeof p, "%s/../secret.txt", dir);
    bad |= escape("dotdot", open(p, O_RDONLY));
    bad |= escape("absolute", open("/etc/passwd", O_RDONLY));
    snprintf(p, sizeof p, "%s/link-out", dir);
    bad |= escape("symlink out", open(p, O_RDONLY));
    snprintf(p, sizeof p, "%s/link-out/x", dir);
    bad |= escape("through symlink out", open(p, O_RDONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/abs-link", dir);
    bad |= escape("absolute symlink", open(p, O_RDONLY));
    snprintf(p, sizeof p, "%s/../escaped.txt", dir);
    bad |= escape("create outside", open(p, O_WRONLY | O_CREAT, 0644));
    snprintf(p, sizeof p, "%s/../", dir);
    bad |= escape("opendir outside", opendir(p) ? 0 : -1);
    snprintf(p, sizeof p, "%s/../secret.txt", dir);
    struct stat st;
    bad |= escape("stat outside", stat(p, &st));
    snprintf(p, sizeof p, "%s/new-link", dir);
    bad |= escape("make absolute symlink", symlink("/etc/passwd", p));
    return bad;
}

__attribute__((noinline)) static void crash_here(void) { __builtin_trap(); }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: wasi-demo COMMAND\n"); return 2; }
    const char *c = argv[1];
    if (!strcmp(c, "hello")) { printf("hello, world\n"); return 0; }
    if (!strcmp(c, "args")) return cmd_args(argc, argv);
    if (!strcmp(c, "exit") && argc > 2) exit(atoi(argv[2]));
    if (!strcmp(c, "cat")) return cmd_cat();
    if (!strcmp(c, "clock")) return cmd_clock();
    if (!strcmp(c, "fs") && argc > 2) return cmd_fs(argv[2]);
    if (!strcmp(c, "escape") && argc > 2) return cmd_escape(argv[2]);
    if (!strcmp(c, "trap")) { crash_here(); return 0; }
    fprintf(stderr, "unknown command %s\n", c);
    return 2;
}
