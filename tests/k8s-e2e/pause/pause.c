/* pause.c: the pod sandbox's process for the k8s-e2e cluster (its image cannot be pulled here). It holds
 * the pod's namespaces open: it reaps any child handed to it and exits 0 on SIGINT or SIGTERM. Built
 * static, so its image is FROM scratch with this one file. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int main(void)
{
    sigset_t set;
    if (sigemptyset(&set) != 0 || sigaddset(&set, SIGINT) != 0 || sigaddset(&set, SIGTERM) != 0 ||
        sigaddset(&set, SIGCHLD) != 0) {
        fprintf(stderr, "pause: sigset: %s\n", strerror(errno));
        return 1;
    }
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        fprintf(stderr, "pause: sigprocmask: %s\n", strerror(errno));
        return 1;
    }
    for (;;) {
        int sig = 0;
        int rc = sigwait(&set, &sig);
        if (rc != 0) {
            fprintf(stderr, "pause: sigwait: %s\n", strerror(rc));
            return 1;
        }
        if (sig != SIGCHLD)
            return 0;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            continue;
    }
}
