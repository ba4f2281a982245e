/* no_mempolicy.c: runs a program with the memory-policy syscalls refused the way a container
 * seccomp profile refuses them (Docker's default without CAP_SYS_NICE): a libseccomp filter
 * makes mbind, set_mempolicy, move_pages and migrate_pages fail with EPERM, then execs argv[1..].
 * get_mempolicy stays allowed, so the policy can still be read back and pages located one by one.
 *   usage: no_mempolicy PROGRAM [ARG...] */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        fprintf(stderr, "no_mempolicy: seccomp_init failed\n");
        return 1;
    }
    static const char *const refused[] = {"mbind", "set_mempolicy", "move_pages", "migrate_pages"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int nr = seccomp_syscall_resolve_name(refused[i]);
        int rc = nr == __NR_SCMP_ERROR ? -ENOSYS
                                       : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc != 0) {
            fprintf(stderr, "no_mempolicy: refusing %s: %s\n", refused[i], strerror(-rc));
            seccomp_release(ctx);
            return 1;
        }
    }
    int rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        fprintf(stderr, "no_mempolicy: seccomp_load: %s\n", strerror(-rc));
        return 1;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "no_mempolicy: exec %s: %s\n", argv[1], strerror(errno));
    return 127;
}
