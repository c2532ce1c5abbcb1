// The benchmark's kernel reference: load counters.bpf.o with libbpf, then on request run one
// program through BPF_PROG_TEST_RUN on several CPUs at once (one thread pinned per CPU, all
// released together), `repeat` times per CPU, and report the wall time and the counter.
//
// Long-lived: one command per line on stdin, one answer line on stdout.
//   run <program> <map> <cpu,cpu,...> <repeat>
//     -> ok <wall_ns> <count> <ns_per_run cpu0> <ns_per_run cpu1> ...
//     -> err <errno> <what failed>
// The map is zeroed before the run; count is its value after (summed over CPUs when per-CPU).
// Startup prints "ready <possible_cpus>" once the object is loaded, or "err <errno> <why>".

#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 1024

struct worker {
	pthread_t thread;
	int cpu;
	int prog_fd;
	unsigned int repeat;
	pthread_barrier_t *start;
	uint64_t t0, t1;
	unsigned int duration; /* the kernel's mean ns per run */
	int err;
};

static struct bpf_object *obj;
static int possible_cpus;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned char pkt[64] = { 0 }; /* tc and XDP need at least an Ethernet header of input */
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		w->err = EINVAL;
	pthread_barrier_wait(w->start);
	if (w->err)
		return NULL;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = w->repeat);
	w->t0 = now_ns();
	if (bpf_prog_test_run_opts(w->prog_fd, &opts) != 0)
		w->err = errno;
	w->t1 = now_ns();
	w->duration = opts.duration;
	return NULL;
}

static int zero_map(int map_fd, int percpu)
{
	size_t n = percpu ? (size_t)possible_cpus : 1;
	void *zero = calloc(n, 64);
	__u32 key = 0;
	int r = bpf_map_update_elem(map_fd, &key, zero, BPF_ANY) ? errno : 0;

	free(zero);
	return r;
}

static int read_count(int map_fd, int percpu, int value_size, unsigned long long *count)
{
	size_t stride = (value_size + 7) & ~7;
	size_t n = percpu ? (size_t)possible_cpus : 1;
	unsigned char *buf = calloc(n, stride);
	__u32 key = 0;

	if (bpf_map_lookup_elem(map_fd, &key, buf) != 0) {
		free(buf);
		return errno;
	}
	*count = 0;
	for (size_t c = 0; c < n; c++) {
		if (percpu && value_size == 8) {
			uint64_t v;
			memcpy(&v, buf + c * stride, 8);
			*count += v;
		} else {
			uint32_t v;
			memcpy(&v, buf + c * stride, 4);
			*count += v;
		}
	}
	free(buf);
	return 0;
}

static void run(char *prog_name, char *map_name, char *cpu_list, unsigned int repeat)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, prog_name);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, map_name);
	static struct worker workers[MAX_THREADS];
	pthread_barrier_t start;
	unsigned long long count = 0;
	int n = 0, r, percpu, value_size, map_fd;

	if (!prog || !map) {
		printf("err %d no program '%s' or map '%s' in the object\n", ENOENT, prog_name, map_name);
		return;
	}
	map_fd = bpf_map__fd(map);
	percpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY;
	value_size = bpf_map__value_size(map);
	for (char *tok = strtok(cpu_list, ","); tok && n < MAX_THREADS; tok = strtok(NULL, ","))
		workers[n++].cpu = atoi(tok);
	if (n == 0) {
		printf("err %d no CPUs given\n", EINVAL);
		return;
	}
	r = zero_map(map_fd, percpu);
	if (r) {
		printf("err %d cannot zero map '%s'\n", r, map_name);
		return;
	}
	pthread_barrier_init(&start, NULL, n);
	for (int i = 0; i < n; i++) {
		workers[i].prog_fd = bpf_program__fd(prog);
		workers[i].repeat = repeat;
		workers[i].start = &start;
		workers[i].err = 0;
		pthread_create(&workers[i].thread, NULL, work, &workers[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(workers[i].thread, NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < n; i++) {
		if (workers[i].err) {
			printf("err %d BPF_PROG_TEST_RUN on CPU %d\n", workers[i].err, workers[i].cpu);
			return;
		}
	}
	r = read_count(map_fd, percpu, value_size, &count);
	if (r) {
		printf("err %d cannot read map '%s'\n", r, map_name);
		return;
	}
	uint64_t t0 = workers[0].t0, t1 = workers[0].t1;
	for (int i = 1; i < n; i++) {
		if (workers[i].t0 < t0)
			t0 = workers[i].t0;
		if (workers[i].t1 > t1)
			t1 = workers[i].t1;
	}
	printf("ok %llu %llu", (unsigned long long)(t1 - t0), count);
	for (int i = 0; i < n; i++)
		printf(" %u", workers[i].duration);
	printf("\n");
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv)
{
	char line[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(quiet);
	if (argc != 2) {
		printf("err %d usage: loader <object.bpf.o>\n", EINVAL);
		return 2;
	}
	possible_cpus = libbpf_num_possible_cpus();
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		printf("err %d cannot open %s\n", errno, argv[1]);
		return 1;
	}
	if (bpf_object__load(obj) != 0) {
		printf("err %d the kernel refused to load %s (see stderr)\n", errno, argv[1]);
		return 1;
	}
	printf("ready %d\n", possible_cpus);
	while (fgets(line, sizeof(line), stdin)) {
		char prog[256], map[256], cpus[2048];
		unsigned int repeat;

		if (sscanf(line, "run %255s %255s %2047s %u", prog, map, cpus, &repeat) == 4)
			run(prog, map, cpus, repeat);
		else
			printf("err %d bad command\n", EINVAL);
	}
	bpf_object__close(obj);
	return 0;
}
