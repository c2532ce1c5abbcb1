// The benchmark's `limit` side: the race lab's counters as plain C threads, one per simulated CPU,
// pinned to the host's CPUs (thread i on allowed CPU i mod n, so 8 threads on 2 cores take turns
// as 8 simulated CPUs do), released together. No runtime, no eBPF: what the hardware gives for the
// same strategy and stride, the ceiling every design is judged against.
//
// Long-lived: one command per line on stdin, one answer line on stdout.
//   run <strategy> <stride> <threads> <events per thread>
//     -> ok <wall_ns> <count>        (count: the counter's value after the run, summed over slots)
//     -> err <errno> <what failed>
// Strategies (the same per-event work as src/bench/plain-worker.ts, as C writes it):
//   racy           a load and a store of one shared u32 (updates get lost)
//   atomic         a locked add to one shared u32
//   spinlock       a 3-state lock (spin a little, then futex-wait), then a plain add, as ours
//   spin           a test-and-test-and-set spin lock, then a plain add
//   percpu         a plain u64 add to this thread's own slot, slots `stride` bytes apart
//   percpu-atomic  a locked u32 add to this thread's own slot
// Each event also does the lookup a program does: the slot's address from a table by key, after a
// bounds check, through a volatile pointer so the compiler cannot fold the loop into one add.

#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 1024
#define SPINS 200

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

enum strategy { RACY, ATOMIC, SPINLOCK, SPIN, PERCPU, PERCPU_ATOMIC };

struct worker {
	pthread_t thread;
	int id;
	int cpu;
	enum strategy s;
	uint64_t events;
	/* The "map": this thread's element address by key (one key), as a lookup table. */
	volatile void *slots[1];
	uint32_t max_entries;
	pthread_barrier_t *start;
	uint64_t t0, t1;
	int err;
};

/* The shared words: the counter (word 0) and the lock word (word 16, its own cache line). */
static volatile uint32_t shared[32] __attribute__((aligned(128)));
static unsigned char *percpu_mem;
static int allowed[MAX_THREADS];
static int n_allowed;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void futex_wait(volatile uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(volatile uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The 3-state lock of plain-worker.ts and our adaptive bpf_spin_lock: 0 free, 1 held, 2 contended. */
static void lock3(volatile uint32_t *l)
{
	uint32_t expect = 0;

	if (__atomic_compare_exchange_n(l, &expect, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	for (int n = 0; n < SPINS; n++) {
		expect = 0;
		if (__atomic_load_n(l, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(l, &expect, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
	while (__atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE) != 0)
		futex_wait(l, 2);
}

static void unlock3(volatile uint32_t *l)
{
	if (__atomic_exchange_n(l, 0, __ATOMIC_RELEASE) == 2)
		futex_wake(l);
}

static void spin_lock(volatile uint32_t *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE) != 0)
		while (__atomic_load_n(l, __ATOMIC_RELAXED) != 0)
			cpu_relax();
}

static void spin_unlock(volatile uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* bpf_map_lookup_elem by hand: a bounds check and an address from the table. */
static inline volatile void *lookup(struct worker *w, uint32_t key)
{
	if (key >= w->max_entries)
		return NULL;
	return w->slots[key];
}

static void *work(void *arg)
{
	struct worker *w = arg;
	volatile uint32_t *lock = &shared[16];
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		w->err = EINVAL;
	pthread_barrier_wait(w->start);
	if (w->err)
		return NULL;
	w->t0 = now_ns();
	for (uint64_t i = 0; i < w->events; i++) {
		volatile void *p = lookup(w, 0);

		if (!p)
			continue;
		switch (w->s) {
		case RACY:
			*(volatile uint32_t *)p = *(volatile uint32_t *)p + 1;
			break;
		case ATOMIC:
		case PERCPU_ATOMIC:
			__atomic_fetch_add((volatile uint32_t *)p, 1, __ATOMIC_SEQ_CST);
			break;
		case SPINLOCK:
			lock3(lock);
			*(volatile uint32_t *)p = *(volatile uint32_t *)p + 1;
			unlock3(lock);
			break;
		case SPIN:
			spin_lock(lock);
			*(volatile uint32_t *)p = *(volatile uint32_t *)p + 1;
			spin_unlock(lock);
			break;
		case PERCPU:
			*(volatile uint64_t *)p = *(volatile uint64_t *)p + 1;
			break;
		}
	}
	w->t1 = now_ns();
	return NULL;
}

static int parse_strategy(const char *name, enum strategy *s)
{
	static const char *names[] = { "racy", "atomic", "spinlock", "spin", "percpu", "percpu-atomic" };

	for (int i = 0; i < 6; i++) {
		if (strcmp(name, names[i]) == 0) {
			*s = (enum strategy)i;
			return 0;
		}
	}
	return -1;
}

static void run(const char *name, int stride, int n, uint64_t events)
{
	static struct worker workers[MAX_THREADS];
	pthread_barrier_t start;
	enum strategy s;
	int percpu;
	uint64_t count = 0;

	if (parse_strategy(name, &s) != 0) {
		printf("err %d unknown strategy '%s'\n", EINVAL, name);
		return;
	}
	if (n < 1 || n > MAX_THREADS || stride < 8 || stride > 4096 || stride % 8) {
		printf("err %d threads must be 1..%d and the stride a multiple of 8 up to 4096\n", EINVAL, MAX_THREADS);
		return;
	}
	percpu = s == PERCPU || s == PERCPU_ATOMIC;
	free(percpu_mem);
	percpu_mem = NULL;
	if (percpu && posix_memalign((void **)&percpu_mem, 128, (size_t)n * stride + 128) != 0) {
		printf("err %d cannot allocate %d slots\n", ENOMEM, n);
		return;
	}
	if (percpu)
		memset(percpu_mem, 0, (size_t)n * stride + 128);
	memset((void *)shared, 0, sizeof(shared));
	pthread_barrier_init(&start, NULL, n);
	for (int i = 0; i < n; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->cpu = allowed[i % n_allowed];
		w->s = s;
		w->events = events;
		w->max_entries = 1;
		w->slots[0] = percpu ? (void *)(percpu_mem + (size_t)i * stride) : (void *)&shared[0];
		w->start = &start;
		w->err = 0;
		pthread_create(&w->thread, NULL, work, w);
	}
	for (int i = 0; i < n; i++)
		pthread_join(workers[i].thread, NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < n; i++) {
		if (workers[i].err) {
			printf("err %d cannot pin a thread to CPU %d\n", workers[i].err, workers[i].cpu);
			return;
		}
	}
	if (percpu) {
		for (int i = 0; i < n; i++)
			count += s == PERCPU ? *(uint64_t *)(percpu_mem + (size_t)i * stride) : *(uint32_t *)(percpu_mem + (size_t)i * stride);
	} else {
		count = shared[0];
	}
	uint64_t t0 = workers[0].t0, t1 = workers[0].t1;
	for (int i = 1; i < n; i++) {
		if (workers[i].t0 < t0)
			t0 = workers[i].t0;
		if (workers[i].t1 > t1)
			t1 = workers[i].t1;
	}
	printf("ok %llu %llu\n", (unsigned long long)(t1 - t0), (unsigned long long)count);
}

int main(void)
{
	char line[512];
	cpu_set_t set;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		printf("err %d sched_getaffinity\n", errno);
		return 1;
	}
	for (int c = 0; c < CPU_SETSIZE && n_allowed < MAX_THREADS; c++)
		if (CPU_ISSET(c, &set))
			allowed[n_allowed++] = c;
	printf("ready %d\n", n_allowed);
	while (fgets(line, sizeof(line), stdin)) {
		char name[64];
		int stride, n;
		unsigned long long events;

		if (sscanf(line, "run %63s %d %d %llu", name, &stride, &n, &events) == 4)
			run(name, stride, n, events);
		else
			printf("err %d bad command\n", EINVAL);
	}
	return 0;
}
