// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc - objects common to rings and queues: names, permissions,
 * per-user accounting and listing.
 *
 * Copyright (C) 2026 The kipc authors.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "kipc_core.h"

unsigned long kipc_max_user_bytes = 256UL << 20;
module_param_named(max_user_bytes, kipc_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Most memory (rings and queued messages) one user may hold, in bytes");

unsigned int kipc_max_objects = 65536;
module_param_named(max_objects, kipc_max_objects, uint, 0644);
MODULE_PARM_DESC(max_objects, "Most kipc objects alive at once");

unsigned int kipc_max_user_objects = 1024;
module_param_named(max_user_objects, kipc_max_user_objects, uint, 0644);
MODULE_PARM_DESC(max_user_objects, "Most kipc objects one user may hold");

/*
 * Per-user accounting.  One struct kipc_user per kernel uid with live
 * objects, refcounted by them; @bytes is what those objects currently
 * hold and @nr_objs how many there are.  The key is the kuid_t, so a
 * user namespace maps its users onto the quota they have outside it.
 */
struct kipc_user {
	struct hlist_node node;		/* in kipc_users, under kipc_users_lock */
	kuid_t uid;
	refcount_t ref;
	atomic_long_t bytes;
	unsigned int nr_objs;		/* under kipc_objs_lock */
};

/*
 * Name scopes.  Names live in the creator's IPC namespace.  A module
 * cannot hold a reference on an IPC namespace (put_ipc_ns() is not
 * exported on every supported kernel), so the registry pins the
 * namespace's internal mqueue mount (ipc_ns->mq_mnt) instead, one
 * struct kipc_ns per namespace that has names:
 *
 * - while pinned, the mount cannot be freed, so its address identifies
 *   the namespace and is never reused for another one;
 * - put_ipc_ns() clears the mount's superblock s_fs_info when the
 *   namespace's last reference goes (mq_clear_sbinfo()), so a NULL
 *   s_fs_info means the namespace is dead.  Its names are then dropped
 *   (kipc_ns_reap(): from a periodic work while any scope exists, and at
 *   once when a create hits a quota), and the mount is released.
 *
 * A kernel without CONFIG_POSIX_MQUEUE has no such mount: names are not
 * available there (-EOPNOTSUPP).
 */
struct kipc_ns {
	struct list_head node;		/* on kipc_nss, under kipc_objs_lock */
	struct vfsmount *mnt;		/* pinned: the namespace's mq_mnt */
	unsigned int nr_names;		/* under kipc_objs_lock */
};

#define KIPC_HASH_BITS	8

static DEFINE_SPINLOCK(kipc_users_lock);
static DEFINE_HASHTABLE(kipc_users, KIPC_HASH_BITS);

static DEFINE_MUTEX(kipc_objs_lock);
static LIST_HEAD(kipc_objs);		/* every fully built live object */
static DEFINE_HASHTABLE(kipc_names, KIPC_HASH_BITS);
static LIST_HEAD(kipc_nss);		/* every struct kipc_ns */
static unsigned int kipc_nr_objs;	/* under kipc_objs_lock */
static u64 kipc_next_id = 1;		/* under kipc_objs_lock */
static struct dentry *kipc_debugfs;

static void kipc_ns_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kipc_ns_reap_work, kipc_ns_reap_fn);
#define KIPC_NS_REAP_PERIOD	HZ

static struct kipc_user *kipc_user_get(kuid_t uid)
{
	struct kipc_user *u, *new;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return NULL;

	spin_lock(&kipc_users_lock);
	hash_for_each_possible(kipc_users, u, node, __kuid_val(uid)) {
		if (uid_eq(u->uid, uid) && refcount_inc_not_zero(&u->ref)) {
			spin_unlock(&kipc_users_lock);
			kfree(new);
			return u;
		}
	}
	new->uid = uid;
	refcount_set(&new->ref, 1);
	atomic_long_set(&new->bytes, 0);
	hash_add(kipc_users, &new->node, __kuid_val(uid));
	spin_unlock(&kipc_users_lock);
	return new;
}

static void kipc_user_put(struct kipc_user *u)
{
	spin_lock(&kipc_users_lock);
	if (!refcount_dec_and_test(&u->ref)) {
		spin_unlock(&kipc_users_lock);
		return;
	}
	hash_del(&u->node);
	spin_unlock(&kipc_users_lock);
	WARN_ON_ONCE(atomic_long_read(&u->bytes));
	kfree(u);
}

static int kipc_user_charge(struct kipc_user *u, size_t bytes)
{
	long limit = min_t(unsigned long, READ_ONCE(kipc_max_user_bytes),
			   LONG_MAX);

	if (bytes > limit)
		return -ENOSPC;
	if (atomic_long_add_return(bytes, &u->bytes) > limit) {
		atomic_long_sub(bytes, &u->bytes);
		return -ENOSPC;
	}
	return 0;
}

int kipc_obj_charge(struct kipc_obj *obj, size_t bytes)
{
	int ret = kipc_user_charge(obj->user, bytes);

	if (!ret)
		obj->charged += bytes;
	return ret;
}

/* Callers serialize charge/uncharge of one object (the type's lock). */
void kipc_obj_uncharge(struct kipc_obj *obj, size_t bytes)
{
	if (WARN_ON_ONCE(bytes > obj->charged))
		bytes = obj->charged;
	obj->charged -= bytes;
	atomic_long_sub(bytes, &obj->user->bytes);
}

/*
 * Take one object of @u's quota and of the global limit.  Over either,
 * -ENOSPC, unless the caller has CAP_SYS_RESOURCE in the initial user
 * namespace (decided only then, so that the check is not audited for
 * every create).
 */
static int kipc_obj_reserve(struct kipc_obj *obj)
{
	struct kipc_user *u = obj->user;
	int ret = 0;

	mutex_lock(&kipc_objs_lock);
	if ((u->nr_objs >= READ_ONCE(kipc_max_user_objects) ||
	     kipc_nr_objs >= READ_ONCE(kipc_max_objects)) &&
	    !capable(CAP_SYS_RESOURCE))
		ret = -ENOSPC;
	if (!ret) {
		u->nr_objs++;
		kipc_nr_objs++;
		obj->id = kipc_next_id++;
	}
	mutex_unlock(&kipc_objs_lock);
	return ret;
}

static void kipc_ns_reap(void);

int kipc_obj_init(struct kipc_obj *obj, u32 type, u32 mode,
		  const struct kipc_obj_ops *ops, size_t bytes)
{
	const struct cred *cred = current_cred();
	int ret;

	obj->user = kipc_user_get(cred->fsuid);
	if (!obj->user)
		return -ENOMEM;
	ret = kipc_obj_reserve(obj);
	if (ret == -ENOSPC) {
		/* Names of dead IPC namespaces may still hold the quota. */
		kipc_ns_reap();
		ret = kipc_obj_reserve(obj);
	}
	if (ret)
		goto out_put_user;
	ret = kipc_user_charge(obj->user, bytes);
	if (ret)
		goto out_unreserve;
	obj->charged = bytes;

	refcount_set(&obj->ref, 1);
	obj->type = type;
	obj->uid = cred->fsuid;
	obj->gid = cred->fsgid;
	obj->mode = mode;
	obj->ops = ops;
	INIT_LIST_HEAD(&obj->all_node);
	INIT_LIST_HEAD(&obj->drop_node);
	INIT_HLIST_NODE(&obj->name_node);
	return 0;

out_unreserve:
	mutex_lock(&kipc_objs_lock);
	obj->user->nr_objs--;
	kipc_nr_objs--;
	mutex_unlock(&kipc_objs_lock);
out_put_user:
	kipc_user_put(obj->user);
	obj->user = NULL;
	return ret;
}

static void kipc_obj_publish(struct kipc_obj *obj)
{
	mutex_lock(&kipc_objs_lock);
	list_add_tail(&obj->all_node, &kipc_objs);
	mutex_unlock(&kipc_objs_lock);
}

void kipc_obj_get(struct kipc_obj *obj)
{
	refcount_inc(&obj->ref);
}

void kipc_obj_put(struct kipc_obj *obj)
{
	struct kipc_user *user;

	if (!refcount_dec_and_mutex_lock(&obj->ref, &kipc_objs_lock))
		return;
	/* A named object holds a reference, so it cannot be named here. */
	WARN_ON_ONCE(obj->named);
	/* Not on the list when it failed before kipc_obj_publish(). */
	if (!list_empty(&obj->all_node))
		list_del(&obj->all_node);
	user = obj->user;
	user->nr_objs--;
	kipc_nr_objs--;
	mutex_unlock(&kipc_objs_lock);

	atomic_long_sub(obj->charged, &user->bytes);
	obj->ops->release(obj);
	kipc_user_put(user);
}

int kipc_obj_may(struct kipc_obj *obj, u32 role)
{
	const struct cred *cred = current_cred();
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	umode_t bits = 0, granted;

	if (role & KIPC_ROLE_PRODUCER)
		bits |= 02;
	if (role & KIPC_ROLE_CONSUMER)
		bits |= 04;

	if (uid_eq(cred->fsuid, obj->uid))
		granted = obj->mode >> 6;
	else if (in_group_p(obj->gid))
		granted = obj->mode >> 3;
	else
		granted = obj->mode;

	if ((granted & bits) == bits)
		return 0;
	if (ns_capable(ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

int kipc_check_role(u32 role, u32 fd_flags)
{
	if (!role || (role & ~KIPC_ROLE_MASK))
		return -EINVAL;
	if (fd_flags & ~KIPC_FD_NONBLOCK)
		return -EINVAL;
	return 0;
}

int kipc_name_from_user(char *dst, u64 uptr)
{
	const char __user *uname = u64_to_user_ptr(uptr);
	long len;
	long i;

	len = strncpy_from_user(dst, uname, KIPC_NAME_MAX + 1);
	if (len < 0)
		return len;
	/* No NUL within KIPC_NAME_MAX + 1 bytes: too long. */
	if (len == 0 || len > KIPC_NAME_MAX)
		return -EINVAL;
	if (dst[0] == '.')
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = dst[i];

		/* The kernel's isalnum() is Latin-1: letters above 0x7f pass. */
		if (!isascii(c) ||
		    (!isalnum(c) && c != '.' && c != '_' && c != '-'))
			return -EINVAL;
	}
	return 0;
}

static u32 kipc_name_hash(const struct kipc_ns *ns, const char *name)
{
	return jhash(name, strlen(name), hash_ptr(ns, 32));
}

/* The caller's name scope: its IPC namespace's mqueue mount, or NULL. */
static struct vfsmount *kipc_current_mnt(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

static bool kipc_ns_dead(const struct kipc_ns *kns)
{
	/* Pairs with mq_clear_sbinfo() in put_ipc_ns(). */
	return !READ_ONCE(kns->mnt->mnt_sb->s_fs_info);
}

/* The caller's scope if it has names; under kipc_objs_lock. */
static struct kipc_ns *kipc_ns_current(void)
{
	struct vfsmount *mnt = kipc_current_mnt();
	struct kipc_ns *kns;

	lockdep_assert_held(&kipc_objs_lock);
	if (!mnt)
		return NULL;
	list_for_each_entry(kns, &kipc_nss, node) {
		if (kns->mnt == mnt)
			return kns;
	}
	return NULL;
}

static void kipc_ns_free(struct kipc_ns *kns)
{
	if (!kns)
		return;
	mntput(kns->mnt);
	kfree(kns);
}

static struct kipc_obj *kipc_name_find(const char *name)
{
	struct kipc_obj *obj;
	struct kipc_ns *kns;

	lockdep_assert_held(&kipc_objs_lock);
	kns = kipc_ns_current();
	if (!kns)
		return NULL;
	hash_for_each_possible(kipc_names, obj, name_node,
			       kipc_name_hash(kns, name)) {
		if (obj->ns == kns && !strcmp(obj->name, name))
			return obj;
	}
	return NULL;
}

/* Publish @obj under @name in the caller's IPC namespace: 0, -EEXIST, ... */
static int kipc_name_add(struct kipc_obj *obj, const char *name)
{
	struct vfsmount *mnt = kipc_current_mnt();
	struct kipc_ns *kns, *new;
	int ret = 0;

	if (!mnt)
		return -EOPNOTSUPP;
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;

	mutex_lock(&kipc_objs_lock);
	if (kipc_name_find(name)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	kns = kipc_ns_current();
	if (!kns) {
		kns = new;
		new = NULL;
		kns->mnt = mntget(mnt);
		list_add(&kns->node, &kipc_nss);
		schedule_delayed_work(&kipc_ns_reap_work, KIPC_NS_REAP_PERIOD);
	}
	strscpy(obj->name, name, sizeof(obj->name));
	obj->ns = kns;
	kns->nr_names++;
	obj->named = true;
	refcount_inc(&obj->ref);
	hash_add(kipc_names, &obj->name_node, kipc_name_hash(kns, name));
out_unlock:
	mutex_unlock(&kipc_objs_lock);
	kfree(new);
	return ret;
}

/*
 * Called with kipc_objs_lock held; the caller then drops the name's
 * reference on @obj and frees the scope returned (its last name went),
 * both after unlocking.
 */
static struct kipc_ns *kipc_name_del(struct kipc_obj *obj)
{
	struct kipc_ns *kns = obj->ns;

	lockdep_assert_held(&kipc_objs_lock);
	hash_del(&obj->name_node);
	obj->named = false;
	obj->name[0] = '\0';
	obj->ns = NULL;
	if (--kns->nr_names)
		return NULL;
	list_del(&kns->node);
	return kns;
}

/*
 * Drop the names of every dead IPC namespace, and with them the objects
 * (and quota) that only the names held.
 */
static void kipc_ns_reap(void)
{
	struct kipc_ns *kns, *ktmp;
	struct kipc_obj *obj, *otmp;
	struct hlist_node *tmp;
	LIST_HEAD(dead_objs);
	LIST_HEAD(dead_nss);
	unsigned int bkt;
	bool any = false;

	mutex_lock(&kipc_objs_lock);
	list_for_each_entry(kns, &kipc_nss, node) {
		if (kipc_ns_dead(kns)) {
			any = true;
			break;
		}
	}
	if (any) {
		hash_for_each_safe(kipc_names, bkt, tmp, obj, name_node) {
			if (!kipc_ns_dead(obj->ns))
				continue;
			kns = kipc_name_del(obj);
			if (kns)
				list_add(&kns->node, &dead_nss);
			list_add(&obj->drop_node, &dead_objs);
		}
	}
	mutex_unlock(&kipc_objs_lock);

	list_for_each_entry_safe(obj, otmp, &dead_objs, drop_node) {
		list_del_init(&obj->drop_node);
		kipc_obj_put(obj);
	}
	list_for_each_entry_safe(kns, ktmp, &dead_nss, node)
		kipc_ns_free(kns);
}

static void kipc_ns_reap_fn(struct work_struct *work)
{
	bool again;

	kipc_ns_reap();
	mutex_lock(&kipc_objs_lock);
	again = !list_empty(&kipc_nss);
	mutex_unlock(&kipc_objs_lock);
	if (again)
		schedule_delayed_work(&kipc_ns_reap_work, KIPC_NS_REAP_PERIOD);
}

/**
 * kipc_obj_name() - copy @obj's current name (empty once unlinked)
 * @obj: the object
 * @buf: KIPC_NAME_MAX + 1 bytes
 */
void kipc_obj_name(struct kipc_obj *obj, char *buf)
{
	mutex_lock(&kipc_objs_lock);
	strscpy(buf, obj->name, KIPC_NAME_MAX + 1);
	mutex_unlock(&kipc_objs_lock);
}

long kipc_ioc_open(void __user *uarg)
{
	char name[KIPC_NAME_MAX + 1];
	struct kipc_obj *obj;
	struct kipc_open op;
	int ret;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.flags || op.fd || op.reserved0 ||
	    kipc_check_reserved(op.reserved, sizeof(op.reserved)))
		return -EINVAL;
	if (op.type != KIPC_OBJ_RING && op.type != KIPC_OBJ_QUEUE)
		return -EINVAL;
	ret = kipc_check_role(op.role, op.fd_flags);
	if (ret)
		return ret;
	ret = kipc_name_from_user(name, op.name);
	if (ret)
		return ret;

	mutex_lock(&kipc_objs_lock);
	obj = kipc_name_find(name);
	if (!obj || obj->type != op.type) {
		mutex_unlock(&kipc_objs_lock);
		return -ENOENT;
	}
	kipc_obj_get(obj);
	mutex_unlock(&kipc_objs_lock);

	ret = kipc_obj_may(obj, op.role);
	if (!ret)
		ret = kipc_open_fd(obj, op.role, op.fd_flags, &op.fd, uarg,
				   &op, sizeof(op));
	kipc_obj_put(obj);
	return ret;
}

/*
 * Reserve an fd and copy the arguments, with the fd number, out to the
 * caller: the steps that can fail because of the caller's memory or fd
 * table, done before anything with an effect.  The fd, or -errno.
 */
static int kipc_fd_reserve(u32 fd_flags, __s32 *fd_field, void __user *uarg,
			   const void *karg, size_t ksize)
{
	int fd = get_unused_fd_flags(kipc_fd_flags(fd_flags));

	if (fd < 0)
		return fd;
	*fd_field = fd;
	if (copy_to_user(uarg, karg, ksize)) {
		put_unused_fd(fd);
		return -EFAULT;
	}
	return fd;
}

int kipc_publish_fd(struct kipc_obj *obj, struct file *file, const char *name,
		    u32 fd_flags, __s32 *fd_field, void __user *uarg,
		    const void *karg, size_t ksize)
{
	int fd, ret;

	fd = kipc_fd_reserve(fd_flags, fd_field, uarg, karg, ksize);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	if (name) {
		ret = kipc_name_add(obj, name);
		if (ret) {
			put_unused_fd(fd);
			fput(file);
			return ret;
		}
	}
	/* Nothing can fail from here: no listing sees a creation undone. */
	kipc_obj_publish(obj);
	fd_install(fd, file);
	return fd;
}

int kipc_open_fd(struct kipc_obj *obj, u32 role, u32 fd_flags,
		 __s32 *fd_field, void __user *uarg, const void *karg,
		 size_t ksize)
{
	struct file *file;
	int fd;

	fd = kipc_fd_reserve(fd_flags, fd_field, uarg, karg, ksize);
	if (fd < 0)
		return fd;
	file = obj->ops->open_file(obj, role, fd_flags);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

/**
 * kipc_ioc_dup() - KIPC_IOC_DUP on /dev/kipc
 * @uarg: user pointer to struct kipc_dup
 *
 * Opens a new file on the object behind the caller's ring or queue fd,
 * with a subset of that fd's roles.  Holding the fd is the permission,
 * so no kipc_obj_may() check is made: a role can only be narrowed.
 *
 * Lifetime: fdget() keeps the source file, and with it its reference on
 * the object, until fdput(); ->open_file() (in kipc_open_fd()) takes the
 * new file's own reference before that, so the object cannot go away in
 * between even if another thread closes the source fd.
 *
 * Return: the new fd; -EBADF when @fd is not an open ring or queue fd;
 * -EINVAL for unknown flags, roles or fd_flags, no role, a role the fd
 * does not have, or non-zero reserved fields or @new_fd; -EMFILE,
 * -ENOMEM, -EFAULT.
 */
long kipc_ioc_dup(void __user *uarg)
{
	struct kipc_obj *obj;
	struct kipc_dup dp;
	struct fd f;
	u32 role;
	int ret;

	if (copy_from_user(&dp, uarg, sizeof(dp)))
		return -EFAULT;
	if (dp.flags || dp.new_fd || dp.reserved0 ||
	    kipc_check_reserved(dp.reserved, sizeof(dp.reserved)))
		return -EINVAL;
	ret = kipc_check_role(dp.role, dp.fd_flags);
	if (ret)
		return ret;

	f = fdget(dp.fd);
	if (fd_empty(f))
		return -EBADF;
	obj = kipc_ring_file_obj(fd_file(f), &role);
	if (!obj)
		obj = kipc_queue_file_obj(fd_file(f), &role);
	if (!obj) {
		ret = -EBADF;
		goto out_fdput;
	}
	if (dp.role & ~role) {
		ret = -EINVAL;
		goto out_fdput;
	}
	/* The new file takes its own reference on @obj before fdput(). */
	ret = kipc_open_fd(obj, dp.role, dp.fd_flags, &dp.new_fd, uarg,
			   &dp, sizeof(dp));
out_fdput:
	fdput(f);
	return ret;
}

long kipc_ioc_unlink(void __user *uarg)
{
	char name[KIPC_NAME_MAX + 1];
	struct kipc_unlink ul;
	struct kipc_obj *obj;
	struct kipc_ns *kns;
	int ret;

	if (copy_from_user(&ul, uarg, sizeof(ul)))
		return -EFAULT;
	if (ul.flags || kipc_check_reserved(ul.reserved, sizeof(ul.reserved)))
		return -EINVAL;
	if (ul.type && ul.type != KIPC_OBJ_RING && ul.type != KIPC_OBJ_QUEUE)
		return -EINVAL;
	ret = kipc_name_from_user(name, ul.name);
	if (ret)
		return ret;

	mutex_lock(&kipc_objs_lock);
	obj = kipc_name_find(name);
	if (!obj || (ul.type && obj->type != ul.type)) {
		mutex_unlock(&kipc_objs_lock);
		return -ENOENT;
	}
	if (!uid_eq(current_fsuid(), obj->uid) &&
	    !ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER)) {
		mutex_unlock(&kipc_objs_lock);
		return -EPERM;
	}
	kns = kipc_name_del(obj);
	mutex_unlock(&kipc_objs_lock);
	kipc_obj_put(obj);
	kipc_ns_free(kns);
	return 0;
}

/*
 * May the caller see @obj in a listing?  Named objects in the caller's
 * IPC namespace (@kns, its scope or NULL); anonymous ones when the caller
 * owns them or is @admin.  Under kipc_objs_lock.
 */
static bool kipc_obj_visible(struct kipc_obj *obj, struct kipc_ns *kns,
			     bool admin)
{
	if (obj->named)
		return obj->ns == kns;
	return admin || uid_eq(current_fsuid(), obj->uid);
}

/* The head without the name, which needs kipc_objs_lock. */
static void kipc_obj_head_fill_locked(struct kipc_obj *obj, u32 role,
				      struct kipc_obj_head *h)
{
	struct user_namespace *user_ns = current_user_ns();

	memset(h, 0, sizeof(*h));
	h->id = obj->id;
	h->type = obj->type;
	h->role = role;
	h->mode = obj->mode;
	h->uid = from_kuid_munged(user_ns, obj->uid);
	h->gid = from_kgid_munged(user_ns, obj->gid);
	obj->ops->head(obj, h);
}

void kipc_obj_head_fill(struct kipc_obj *obj, u32 role,
			struct kipc_obj_head *h)
{
	kipc_obj_head_fill_locked(obj, role, h);
	kipc_obj_name(obj, h->name);
}

/* A listing entry, without the name. */
static void kipc_obj_fill(struct kipc_obj *obj, struct kipc_obj_entry *e)
{
	memset(e, 0, sizeof(*e));
	kipc_obj_head_fill_locked(obj, 0, &e->obj);
	obj->ops->fill(obj, e);
}

static const char *kipc_obj_type_name(u32 type)
{
	switch (type) {
	case KIPC_OBJ_RING:
		return "ring";
	case KIPC_OBJ_QUEUE:
		return "queue";
	default:
		return "unknown";
	}
}

static const char *kipc_role_name(u32 role)
{
	switch (role & KIPC_ROLE_MASK) {
	case KIPC_ROLE_PRODUCER:
		return "producer";
	case KIPC_ROLE_CONSUMER:
		return "consumer";
	default:
		return "producer,consumer";
	}
}

void kipc_obj_show_fdinfo_common(struct seq_file *m, struct kipc_obj *obj,
				 u32 role)
{
	struct kipc_obj_head h;

	kipc_obj_head_fill(obj, role, &h);
	seq_printf(m, "kipc-type:\t%s\n", kipc_obj_type_name(h.type));
	seq_printf(m, "kipc-id:\t%llu\n", h.id);
	seq_printf(m, "name:\t%s\n", h.name[0] ? h.name : "-");
	seq_printf(m, "role:\t%s\n", kipc_role_name(role));
	seq_printf(m, "state:\t%#x\n", h.state);
	seq_printf(m, "producers:\t%u\n", h.nr_producers);
	seq_printf(m, "consumers:\t%u\n", h.nr_consumers);
	seq_printf(m, "read-waiters:\t%u\n", h.read_waiters);
	seq_printf(m, "write-waiters:\t%u\n", h.write_waiters);
}

int kipc_obj_create_check(const struct kipc_obj_create *oc, char *name)
{
	int ret;

	name[0] = '\0';
	if (oc->fd || (oc->mode & ~0777U))
		return -EINVAL;
	ret = kipc_check_role(oc->role, oc->fd_flags);
	if (ret)
		return ret;
	if (oc->name)
		return kipc_name_from_user(name, oc->name);
	return 0;
}

/*
 * KIPC_IOC_LIST.  The objects are picked, and held, under the lock; their
 * entries are filled and copied out after it is dropped, so a buffer that
 * faults slowly (userfaultfd, FUSE) stalls only this call.  Objects made
 * or freed meanwhile may or may not be counted, as in any snapshot.
 */
long kipc_ioc_list(void __user *uarg)
{
	struct kipc_obj_entry *e = NULL;
	struct kipc_obj **objs = NULL;
	struct kipc_list ls;
	struct kipc_obj *obj;
	struct kipc_ns *kns;
	u32 n = 0, max, total = 0, i;
	bool admin;
	int ret = 0;

	if (copy_from_user(&ls, uarg, sizeof(ls)))
		return -EFAULT;
	if (ls.flags || ls.nr_total || ls.reserved0 ||
	    kipc_check_reserved(ls.reserved, sizeof(ls.reserved)))
		return -EINVAL;
	/* Decided once per call, and not audited: it only widens a view. */
	admin = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);

	max = min(ls.nr_entries, READ_ONCE(kipc_nr_objs));
	if (max) {
		e = kmalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
		objs = kvmalloc_array(max, sizeof(*objs), GFP_KERNEL_ACCOUNT);
		if (!e || !objs) {
			ret = -ENOMEM;
			goto out_free;
		}
	}

	mutex_lock(&kipc_objs_lock);
	kns = kipc_ns_current();
	list_for_each_entry(obj, &kipc_objs, all_node) {
		if (!kipc_obj_visible(obj, kns, admin))
			continue;
		total++;
		if (n < max) {
			kipc_obj_get(obj);
			objs[n++] = obj;
		}
	}
	mutex_unlock(&kipc_objs_lock);

	for (i = 0; i < n; i++) {
		void __user *dst;

		kipc_obj_fill(objs[i], e);
		kipc_obj_name(objs[i], e->obj.name);
		dst = u64_to_user_ptr(ls.entries + (u64)i * sizeof(*e));
		if (copy_to_user(dst, e, sizeof(*e))) {
			ret = -EFAULT;
			break;
		}
	}
	for (i = 0; i < n; i++)
		kipc_obj_put(objs[i]);
	if (ret)
		goto out_free;

	ls.nr_entries = n;
	ls.nr_total = total;
	ret = copy_to_user(uarg, &ls, sizeof(ls)) ? -EFAULT : 0;
out_free:
	kvfree(objs);
	kfree(e);
	return ret;
}

static int kipc_objects_show(struct seq_file *m, void *v)
{
	struct kipc_obj_entry *e;
	struct kipc_obj *obj;

	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	seq_puts(m, "id\ttype\tmode\tuid\tgid\tprod\tcons\tsize\tused\tcount\twaiters\tname\n");
	mutex_lock(&kipc_objs_lock);
	list_for_each_entry(obj, &kipc_objs, all_node) {
		kipc_obj_fill(obj, e);
		strscpy(e->obj.name, obj->name, sizeof(e->obj.name));
		seq_printf(m, "%llu\t%s\t%04o\t%u\t%u\t%u\t%u\t%llu\t%llu\t%llu\t%u\t%s\n",
			   e->obj.id, kipc_obj_type_name(e->obj.type),
			   e->obj.mode, e->obj.uid, e->obj.gid,
			   e->obj.nr_producers, e->obj.nr_consumers, e->size,
			   e->used, e->count,
			   e->obj.read_waiters + e->obj.write_waiters,
			   e->obj.name[0] ? e->obj.name : "-");
	}
	mutex_unlock(&kipc_objs_lock);
	kfree(e);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kipc_objects);

int kipc_obj_module_init(void)
{
	kipc_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("objects", 0400, kipc_debugfs, NULL,
			    &kipc_objects_fops);
	return 0;
}

/*
 * No fd or mapping exists any more (each pins the module), so the only
 * references left are the names'.  Dropping them frees the objects.
 */
void kipc_obj_module_exit(void)
{
	struct kipc_obj *obj, *otmp;
	struct kipc_ns *kns, *ktmp;
	struct hlist_node *tmp;
	unsigned int bkt, n = 0;
	LIST_HEAD(dead_objs);
	LIST_HEAD(dead_nss);

	debugfs_remove_recursive(kipc_debugfs);
	/* Also waits for a run that re-arms itself. */
	cancel_delayed_work_sync(&kipc_ns_reap_work);

	mutex_lock(&kipc_objs_lock);
	hash_for_each_safe(kipc_names, bkt, tmp, obj, name_node) {
		kns = kipc_name_del(obj);
		if (kns)
			list_add(&kns->node, &dead_nss);
		list_add(&obj->drop_node, &dead_objs);
		n++;
	}
	mutex_unlock(&kipc_objs_lock);

	list_for_each_entry_safe(obj, otmp, &dead_objs, drop_node) {
		list_del_init(&obj->drop_node);
		kipc_obj_put(obj);
	}
	list_for_each_entry_safe(kns, ktmp, &dead_nss, node)
		kipc_ns_free(kns);
	if (n)
		pr_info("dropped %u named object(s) at unload\n", n);
	WARN_ON(!list_empty(&kipc_objs));
	WARN_ON(!list_empty(&kipc_nss));
}
