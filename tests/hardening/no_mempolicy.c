/* no_mempolicy.c: runs a program with the memory-policy syscalls refused (EPERM) the way Docker's
 * and containerd's default seccomp profiles refuse them, then execs argv[...]:
 *   default          without CAP_SYS_NICE: mbind, set_mempolicy, get_mempolicy, move_pages and
 *                    migrate_pages are refused, so the policy cannot even be read back;
 *   --with-sys-nice  with CAP_SYS_NICE: only move_pages and migrate_pages are refused.
 * Apply it after numactl (numactl --membind N no_mempolicy PROGRAM): the profile lets the
 * container start only if numactl could set the policy first.
 *   usage: no_mempolicy [--with-sys-nice] PROGRAM [ARG...] */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const without_sys_nice[] = {
    "mbind", "set_mempolicy", "get_mempolicy", "move_pages", "migrate_pages", NULL};
static const char *const with_sys_nice[] = {"move_pages", "migrate_pages", NULL};

/* Loads a filter that fails each named syscall with EPERM and allows everything else. */
static int refuse(const char *const *names)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        fprintf(stderr, "no_mempolicy: seccomp_init failed\n");
        return -1;
    }
    for (size_t i = 0; names[i]; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        int rc = nr == __NR_SCMP_ERROR ? -ENOSYS : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc != 0) {
            fprintf(stderr, "no_mempolicy: refusing %s: %s\n", names[i], strerror(-rc));
            seccomp_release(ctx);
            return -1;
        }
    }
    int rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        fprintf(stderr, "no_mempolicy: seccomp_load: %s\n", strerror(-rc));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int first = 1;
    const char *const *names = without_sys_nice;
    if (argc > 1 && strcmp(argv[1], "--with-sys-nice") == 0) {
        names = with_sys_nice;
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: %s [--with-sys-nice] PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    if (refuse(names) != 0)
        return 1;
    execvp(argv[first], argv + first);
    fprintf(stderr, "no_mempolicy: exec %s: %s\n", argv[first], strerror(errno));
    return 127;
}
