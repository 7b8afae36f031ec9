/* parm/dist.h — the ranks of a distributed run (data-parallel training,
 * sharded `parm bench` and `parm paths`) behind a small interface, so that
 * libparm itself never links MPI. The default is one process, rank 0 of 1:
 * every call below then returns at once and changes nothing. The CLI built
 * with MPI (make finds mpicc, or make MPI=1; src/cli/mpi/dist_mpi.c) installs
 * its MPI backend with parm_dist_set when started by mpirun.
 *
 * Every collective takes this rank's status rc (0 = fine, nonzero = this rank
 * failed with parm_last_error set) and first agrees on it: when any rank
 * failed, every rank returns -1, the others with the error "rank R of K
 * failed: <R's message>", so one bad rank stops them all at the next
 * collective rather than leaving them waiting (parm_dist_agreed() then says
 * so, and the CLI exits non-zero without an abort). Results never depend on
 * the number of ranks: gathers and sums go in rank order. */
#ifndef PARM_DIST_H
#define PARM_DIST_H

#include <stddef.h>

typedef struct {
    int rank, size;
    /* in place: buf holds `size` blocks of n bytes in rank order, this rank's
     * block filled; afterwards every block is filled, on every rank */
    int (*allgather)(void *buf, size_t n);
    /* rank 0's recv gets every rank's counts[r] bytes of send, concatenated in rank order */
    int (*gatherv)(const void *send, size_t n, void *recv, const size_t *counts);
} parm_dist_backend;

/* Install a backend (NULL: back to the single process). The backend must stay valid. */
void parm_dist_set(const parm_dist_backend *b);
int parm_dist_rank(void);
int parm_dist_size(void);
/* This rank's share [*lo, *hi) of n items: contiguous blocks in rank order. */
void parm_dist_block(long n, long *lo, long *hi);
/* Agree on the ranks' statuses: 0 when every rc was 0, else -1 (see above). */
int parm_dist_check(int rc);
/* 1 when the last failed collective was a failure every rank saw. */
int parm_dist_agreed(void);
/* parm_dist_check, then the backend's in-place allgather of n bytes a rank. */
int parm_dist_allgather(void *buf, size_t n, int rc);
/* parm_dist_check, then rank 0 gets every rank's n bytes concatenated in rank
 * order, in *all (malloc'd; *total bytes); the other ranks get *all = NULL. */
int parm_dist_gather(const void *send, size_t n, void **all, size_t *total, int rc);
/* all: n rows of row_bytes, this rank's block of them (parm_dist_block)
 * filled; afterwards every row, on every rank. */
int parm_dist_allgather_rows(void *all, size_t row_bytes, long n, int rc);
/* x[0..n) summed over the ranks in rank order, on every rank. */
int parm_dist_sum(double *x, int n, int rc);

#endif
