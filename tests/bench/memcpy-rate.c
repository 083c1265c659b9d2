// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy-rate [MiB [THREADS]]: bytes per second THREADS threads (default 1)
 * copy together with memcpy, each between its own two buffers of MiB
 * (default 64, larger than any cache): the ceiling of a copy that moves
 * every byte through the CPUs (brd to brd copies each byte twice: disk to
 * buffer, buffer to disk). The threads fault their buffers in, start
 * together, copy for 2 s each, and the aggregate is all their bytes over
 * the wall time from the common start to the last thread's end, so
 * threads the machine cannot run in parallel do not add up. Prints the
 * aggregate in bytes per second.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct worker {
	pthread_t thread;
	size_t len;
	double bytes;
	double end;
	int err;
};

static pthread_barrier_t start;
static double t0;
static volatile char sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *copier(void *arg)
{
	struct worker *w = arg;
	char *a = malloc(w->len), *b = malloc(w->len);
	double t;

	if (a && b) {
		memset(a, 1, w->len);	/* fault every page in before timing */
		memset(b, 2, w->len);
	} else {
		w->err = 1;
	}
	/* The main thread reads the clock between the two waits. */
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&start);
	if (w->err)
		return NULL;
	do {
		memcpy(b, a, w->len);
		memcpy(a, b, w->len);
		w->bytes += 2.0 * w->len;
		t = now();
	} while (t - t0 < 2.0);
	w->end = t;
	sink = a[w->len - 1];	/* keep the copies from being optimised out */
	free(a);
	free(b);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	int i, n = argc > 2 ? atoi(argv[2]) : 1;
	double bytes = 0, end = 0;
	struct worker *w;

	if (!mib || n < 1) {
		fprintf(stderr, "usage: memcpy-rate [MiB [THREADS]]\n");
		return 2;
	}
	w = calloc(n, sizeof(*w));
	if (!w || pthread_barrier_init(&start, NULL, n + 1))
		return 1;
	for (i = 0; i < n; i++) {
		w[i].len = mib << 20;
		if (pthread_create(&w[i].thread, NULL, copier, &w[i]))
			return 1;
	}
	pthread_barrier_wait(&start);
	t0 = now();
	pthread_barrier_wait(&start);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].err) {
			fprintf(stderr, "memcpy-rate: out of memory\n");
			return 1;
		}
		bytes += w[i].bytes;
		if (w[i].end > end)
			end = w[i].end;
	}
	printf("%.0f\n", bytes / (end - t0));
	return 0;
}
