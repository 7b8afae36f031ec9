/* dist_mpi.c — the MPI backend of parm/dist.h, linked into ./parm only when
 * make finds mpicc (or MPI=1). cli_mpi_init starts MPI when the process was
 * started by mpirun (OpenMPI's or PMIx's rank variables are set) and installs
 * the backend; a plain ./parm never touches MPI. cli_mpi_end ends it: a
 * failure every rank agreed on (parm_dist_agreed) finalizes, a failure of
 * this rank alone aborts the job so that no rank waits forever. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "parm.h"
#include "parm/dist.h"

static int mpi_allgather(void *buf, size_t n) {
    if (n > INT_MAX) return PARM_ERR("MPI allgather of %zu bytes a rank (at most %d)", n, INT_MAX);
    if (MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, (int)n, MPI_BYTE, MPI_COMM_WORLD) != MPI_SUCCESS)
        return PARM_ERR("MPI_Allgather of %zu bytes failed", n);
    return 0;
}

static int mpi_gatherv(const void *send, size_t n, void *recv, const size_t *counts) {
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int *cnt = calloc((size_t)size, sizeof *cnt), *off = calloc((size_t)size, sizeof *off);
    size_t at = 0;
    int rc = !cnt || !off ? PARM_ERR("out of memory") : 0;
    for (int r = 0; !rc && r < size; r++) {
        if (counts[r] > INT_MAX || at > INT_MAX)
            rc = PARM_ERR("MPI gather of %zu bytes (at most %d a rank and in all)", counts[r] + at, INT_MAX);
        else { cnt[r] = (int)counts[r]; off[r] = (int)at; at += counts[r]; }
    }
    /* every rank reaches MPI_Gatherv (counts are the same everywhere, so rc is too) */
    if (!rc && MPI_Gatherv(send, (int)n, MPI_BYTE, recv, cnt, off, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
        rc = PARM_ERR("MPI_Gatherv of %zu bytes failed", at);
    free(cnt);
    free(off);
    return rc;
}

static parm_dist_backend mpi;
static int started;

int cli_mpi_init(int *argc, char ***argv) {
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK") && !getenv("PMI_SIZE")) return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "parm: error: MPI_Init failed\n");
        return -1;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi.size);
    mpi.allgather = mpi_allgather;
    mpi.gatherv = mpi_gatherv;
    parm_dist_set(&mpi);
    return 0;
}

int cli_mpi_end(int rc) {
    if (!started) return rc;
    if (rc && mpi.size > 1 && !parm_dist_agreed()) {
        fprintf(stderr, "parm: rank %d of %d failed alone: stopping every rank\n", mpi.rank, mpi.size);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, rc);
    }
    parm_dist_set(NULL);
    MPI_Finalize();
    return rc;
}
