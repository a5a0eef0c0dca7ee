#include <nftables/libnftables.h>

/* memfd_create(2) is declared by glibc only under _GNU_SOURCE, which Swift's Glibc module is built
   without. podlab hands nft its scripts as a memfd (see Nftables.swift for why), so declare it here;
   glibc has exported it since 2.27. */
int memfd_create(const char *name, unsigned int flags);

/* A close-on-exec memfd named `name`, or -1 with errno set. */
static inline int podlab_nft_memfd(const char *name) {
    return memfd_create(name, 1U /* MFD_CLOEXEC */);
}
