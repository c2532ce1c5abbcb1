// bpf_spin_lock in tc programs, over an ARRAY and a HASH value holding a lock, beside user space's
// BPF_F_LOCK update and lookup (which take the same lock and skip its word). The verifier's
// refusals live in this object too: the lock in tracing programs, a helper call or an exit while
// holding it, unlocking what is not held.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct locked {
	__u32 cnt;
	struct bpf_spin_lock lock;
	__u64 sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct locked);
} larr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct locked);
} lhash SEC(".maps");

struct args {
	__u32 key;
	__u32 pad;
	__u64 add;
};

#define ARGS(skb)                                                                                      \
	({                                                                                             \
		struct args *__a = (void *)(long)(skb)->data + 14;                                     \
		if ((void *)(__a + 1) > (void *)(long)(skb)->data_end)                                 \
			__a = 0;                                                                       \
		__a;                                                                                   \
	})

/* cnt += 1 and sum += add under the lock; returns the new cnt (or 1000 for no element) */
SEC("tc")
int larr_add(struct __sk_buff *skb)
{
	struct args *a = ARGS(skb);
	struct locked *v;
	__u32 key, cnt;

	if (!a)
		return -1;
	key = a->key;
	v = bpf_map_lookup_elem(&larr, &key);
	if (!v)
		return 1000;
	bpf_spin_lock(&v->lock);
	v->cnt++;
	v->sum += a->add;
	cnt = v->cnt;
	bpf_spin_unlock(&v->lock);
	return cnt;
}

/* insert when missing (a fresh value's lock word is zero), then the same locked update */
SEC("tc")
int lhash_add(struct __sk_buff *skb)
{
	struct args *a = ARGS(skb);
	struct locked *v, init = {};
	__u32 key, cnt;
	long r;

	if (!a)
		return -1;
	key = a->key;
	v = bpf_map_lookup_elem(&lhash, &key);
	if (!v) {
		r = bpf_map_update_elem(&lhash, &key, &init, BPF_NOEXIST);
		if (r)
			return (int)r;
		v = bpf_map_lookup_elem(&lhash, &key);
		if (!v)
			return 1000;
	}
	bpf_spin_lock(&v->lock);
	v->cnt++;
	v->sum += a->add;
	cnt = v->cnt;
	bpf_spin_unlock(&v->lock);
	return cnt;
}

/* a program's map_update_elem with BPF_F_LOCK: copies the value under the element's lock */
SEC("tc")
int lhash_set_locked(struct __sk_buff *skb)
{
	struct args *a = ARGS(skb);
	struct locked v = {};
	__u32 key;

	if (!a)
		return -1;
	key = a->key;
	v.cnt = 100;
	v.sum = a->add;
	return bpf_map_update_elem(&lhash, &key, &v, a->pad);
}

/* ---- programs the verifier refuses (loaded only by verify steps) ---- */

SEC("raw_tp/sys_enter")
int lock_in_raw_tp(void *ctx)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&larr, &key);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->cnt++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("syscall")
int lock_in_syscall(void *ctx)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&larr, &key);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->cnt++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("xdp")
int lock_in_xdp(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&larr, &key);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->cnt++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int call_under_lock(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&larr, &key);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->cnt = bpf_get_smp_processor_id();
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int exit_under_lock(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&larr, &key);

	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	if (v->cnt > 5)
		return 1; /* leaves with the lock held */
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int write_lock_word(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct locked *v = bpf_map_lookup_elem(&larr, &key);

	if (!v)
		return 0;
	*(__u32 *)&v->lock = 0; /* programs may not touch the lock word */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
