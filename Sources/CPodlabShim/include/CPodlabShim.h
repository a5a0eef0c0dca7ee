#ifndef CPODLABSHIM_H
#define CPODLABSHIM_H
#include <sys/types.h>

/// Namespace and mount calls that Glibc's Swift module does not export (they need _GNU_SOURCE).
int podlab_setns(int fd, int nstype);
int podlab_unshare(int flags);
int podlab_sethostname(const char *name, size_t len);
int podlab_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data);
int podlab_umount2(const char *target, int flags);
pid_t podlab_gettid(void);

extern const int PODLAB_CLONE_NEWNET;
extern const int PODLAB_CLONE_NEWUTS;
extern const int PODLAB_CLONE_NEWNS;
extern const unsigned long PODLAB_MS_BIND;
extern const unsigned long PODLAB_MS_REC;
extern const unsigned long PODLAB_MS_PRIVATE;
extern const int PODLAB_MNT_DETACH;

/// Pseudo-terminals: opens a master (O_RDWR|O_NOCTTY|O_CLOEXEC), grants and unlocks it, and writes the
/// slave's path into `name`. Returns the master fd or -1 with errno set.
int podlab_openpty(char *name, size_t len);
/// Sets the window size of a terminal fd.
int podlab_set_winsize(int fd, unsigned short rows, unsigned short cols);
/// Makes the calling process a session leader whose controlling terminal is `fd` (TIOCSCTTY).
int podlab_set_controlling_tty(int fd);
#endif
