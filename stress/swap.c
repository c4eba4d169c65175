/* Race (a) of stress/Stress.ps1, sharper: swaps two paths with renameat2(RENAME_EXCHANGE) in a loop, so the path
   is always either the directory or the symlink (the mv loop leaves it missing half the time). Built static at
   run time when a C compiler is there, copied into the container. Usage: swap <path> <other path> */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
int main(int argc, char **argv) {
    if (argc < 3) return 2;
    for (;;)
        if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) { perror("renameat2"); return 1; }
}
