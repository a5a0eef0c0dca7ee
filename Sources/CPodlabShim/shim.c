#define _GNU_SOURCE
#include "CPodlabShim.h"
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>
#include <sys/syscall.h>

int podlab_setns(int fd, int nstype) { return setns(fd, nstype); }
int podlab_unshare(int flags) { return unshare(flags); }
int podlab_sethostname(const char *name, size_t len) { return sethostname(name, len); }
int podlab_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data) {
    return mount(source, target, fstype, flags, data);
}
int podlab_umount2(const char *target, int flags) { return umount2(target, flags); }
pid_t podlab_gettid(void) { return (pid_t)syscall(SYS_gettid); }

const int PODLAB_CLONE_NEWNET = CLONE_NEWNET;
const int PODLAB_CLONE_NEWUTS = CLONE_NEWUTS;
const int PODLAB_CLONE_NEWNS = CLONE_NEWNS;
const unsigned long PODLAB_MS_BIND = MS_BIND;
const unsigned long PODLAB_MS_REC = MS_REC;
const unsigned long PODLAB_MS_PRIVATE = MS_PRIVATE;
const int PODLAB_MNT_DETACH = MNT_DETACH;

int podlab_openpty(char *name, size_t len) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int podlab_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int podlab_set_controlling_tty(int fd) { return ioctl(fd, TIOCSCTTY, 0); }
