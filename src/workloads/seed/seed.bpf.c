// The seed article's program ("Day11 - eBPF基本知識(8) - map (上)", iThome 2022), its lines exactly as
// printed, whitespace included. ADDED lines, and only these, are the declarations the article
// leaves out so it compiles with today's headers:
//  - the two #includes (the article shows no includes);
//  - struct bpf_map_def: newer libbpf headers no longer carry it (it left bpf_helpers.h in libbpf
//    1.0), so it is defined here with the 5 fields the article's initialiser uses (20 bytes);
//  - `typedef __u32 u32;`: the article uses the kernel's u32, which uapi headers do not define;
//  - `typedef struct elem elem;`: the article writes `sizeof(elem)` and `elem *val` without
//    `struct`; a typedef must come after `struct elem` is declared, so it is the line after it;
//  - the license section at the end: the kernel gates GPL-only helpers (bpf_trace_printk,
//    bpf_spin_lock) on it.
// Everything between "ARTICLE BEGIN" and "ARTICLE END" except the typedef marked ADDED is the
// article's text.
#include <linux/bpf.h>          /* ADDED */
#include <bpf/bpf_helpers.h>    /* ADDED */

struct bpf_map_def {            /* ADDED */
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

typedef __u32 u32;              /* ADDED */

/* ARTICLE BEGIN */
struct elem {
    int cnt;
    struct bpf_spin_lock lock;
};
typedef struct elem elem;       /* ADDED */

struct bpf_map_def SEC("maps") counter = {  
	.type = BPF_MAP_TYPE_ARRAY,  
	.key_size = sizeof(int),  
	.value_size = sizeof(elem),  
	.max_entries = 1,  
};

SEC("kprobe/sys_clone")
int hello_world(void *ctx) {
  u32 key = 0;
  elem *val;
  val = bpf_map_lookup_elem(&counter, &key);
  
  bpf_spin_lock(&val->lock);
  val->cnt++;
  bpf_spin_unlock(&val->lock);

  bpf_trace_printk("sys_clone count: %d", val->cnt);
  
  return 0;
}
/* ARTICLE END */

char _license[] SEC("license") = "GPL";   /* ADDED */
