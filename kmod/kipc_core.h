/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc - internal interfaces shared by the files of the module.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _KIPC_CORE_H
#define _KIPC_CORE_H

#include <linux/types.h>
#include <linux/fcntl.h>
#include <linux/refcount.h>
#include <linux/list.h>
#include <linux/uidgid.h>
#include <linux/string.h>
#include <linux/kipc.h>

struct file;
struct seq_file;

/**
 * kipc_check_reserved() - are reserved bytes of an ioctl argument zero?
 * @p: the reserved field(s) in the kernel's copy
 * @n: their size
 *
 * Every ioctl structure is fixed and matched exactly (size included) by
 * its command number; room for new fields is reserved space that must
 * be zero today, so that a later kernel can give it a meaning.
 *
 * Return: 0, or -EINVAL when a byte is not zero.
 */
static inline int kipc_check_reserved(const void *p, size_t n)
{
	return memchr_inv(p, 0, n) ? -EINVAL : 0;
}

/*
 * Objects (rings, queues) share one header, one name registry, one
 * permission check, one per-user memory limit and one global list.
 *
 * Lifetime: struct kipc_obj is refcounted.  Each object fd holds a
 * reference (file->private_data leads to the type's struct, which embeds
 * the kipc_obj); a mapping holds its file; a name holds a reference until
 * it is unlinked or the module is unloaded.  Object fds are anon-inode
 * files whose fops have .owner = THIS_MODULE, so every fd and mapping
 * pins the module: rmmod is refused while any exists.  Names alone do
 * not pin it; module exit drops them and frees what they held.
 *
 * Locking: kipc_objs_lock (a mutex) protects the object list, the name
 * hash and every obj->name/ns/named.  It nests outside the types' own
 * locks and is never taken under them.
 */
struct kipc_obj;
struct kipc_user;
struct kipc_ns;

struct kipc_obj_ops {
	/* Free the type's memory; called once the last reference is gone. */
	void (*release)(struct kipc_obj *obj);
	/*
	 * Fill the type's part of the common head: state, endpoint and
	 * waiter counts (a report, not a promise).  May run under
	 * kipc_objs_lock (debugfs) and may take the type's own lock, which
	 * nests inside it.
	 */
	void (*head)(struct kipc_obj *obj, struct kipc_obj_head *h);
	/* Fill the type-specific fields of a listing entry (after .head). */
	void (*fill)(struct kipc_obj *obj, struct kipc_obj_entry *e);
	/*
	 * A new file on @obj for @role (permission already checked), with a
	 * reference of its own on @obj, or an ERR_PTR.
	 */
	struct file *(*open_file)(struct kipc_obj *obj, u32 role, u32 fd_flags);
};

struct kipc_obj {
	refcount_t ref;
	u32 type;			/* KIPC_OBJ_RING / KIPC_OBJ_QUEUE */
	u64 id;				/* unique, for listing */
	kuid_t uid;			/* owner: creator's fsuid */
	kgid_t gid;			/* group: creator's fsgid */
	umode_t mode;			/* 0..0777 */
	struct kipc_user *user;		/* charged for @charged bytes */
	size_t charged;
	const struct kipc_obj_ops *ops;
	/* Protected by kipc_objs_lock: */
	struct list_head all_node;	/* on kipc_objs once published */
	struct list_head drop_node;	/* on a list of names being dropped */
	struct hlist_node name_node;	/* in the name hash while named */
	bool named;
	struct kipc_ns *ns;		/* scope of the name while named */
	char name[KIPC_NAME_MAX + 1];	/* "" when anonymous or unlinked */
};

/**
 * kipc_obj_init() - set up the common part of a new object
 * @obj: embedded in the type's zeroed struct
 * @type: KIPC_OBJ_*
 * @mode: permission bits, checked by kipc_obj_create_check()
 * @ops: type operations
 * @bytes: memory to charge against the creator's per-user limit
 *
 * On success the object has one reference, is charged to the caller's
 * user (one object of its quota and @bytes), has its id and is still
 * invisible: kipc_publish_fd() lists it (LIST, debugfs) once it is fully
 * built, named and nothing can fail any more.  Drop it with kipc_obj_put(),
 * listed or not.  On failure nothing is left to
 * undo.
 *
 * Return: 0, -ENOSPC (per-user object or byte quota,
 * or too many objects), -ENOMEM.
 */
int kipc_obj_init(struct kipc_obj *obj, u32 type, u32 mode,
		  const struct kipc_obj_ops *ops, size_t bytes);
void kipc_obj_get(struct kipc_obj *obj);
void kipc_obj_put(struct kipc_obj *obj);

/* Charge/uncharge more bytes to the object's owner (queues grow). */
int kipc_obj_charge(struct kipc_obj *obj, size_t bytes);
void kipc_obj_uncharge(struct kipc_obj *obj, size_t bytes);

/**
 * kipc_obj_may() - may the caller open @obj with @role?
 * Producer needs write, consumer read permission (owner, group or other
 * bits, as for a file); CAP_IPC_OWNER overrides.
 * Return: 0 or -EACCES.
 */
int kipc_obj_may(struct kipc_obj *obj, u32 role);

/**
 * kipc_name_from_user() - copy and validate a name
 * @dst: KIPC_NAME_MAX + 1 bytes
 * @uptr: user pointer (__u64 from an ioctl struct)
 *
 * Return: 0, -EFAULT, -EINVAL (empty, longer than KIPC_NAME_MAX, a
 * character outside [A-Za-z0-9._-], or a leading '.').
 */
int kipc_name_from_user(char *dst, u64 uptr);

void kipc_obj_name(struct kipc_obj *obj, char *buf);

/**
 * kipc_obj_create_check() - validate the common head of a create struct
 * @oc: the caller's struct kipc_obj_create, copied in
 * @name: KIPC_NAME_MAX + 1 bytes; the name, or "" when anonymous
 *
 * Return: 0, -EINVAL (non-zero fd, bad role, fd_flags, mode or name),
 * -EFAULT.
 */
int kipc_obj_create_check(const struct kipc_obj_create *oc, char *name);

/* Fill @h for an fd of @obj with @role (0 for a listing). */
void kipc_obj_head_fill(struct kipc_obj *obj, u32 role,
			struct kipc_obj_head *h);

/*
 * The fdinfo lines every type shares (kipc-type, kipc-id, name, role,
 * state, producers, consumers, read-waiters, write-waiters); the type's
 * own lines follow.
 */
void kipc_obj_show_fdinfo_common(struct seq_file *m, struct kipc_obj *obj,
				 u32 role);

/* The /dev/kipc ioctls shared by all types. */
long kipc_ioc_open(void __user *uarg);
long kipc_ioc_unlink(void __user *uarg);
long kipc_ioc_list(void __user *uarg);
long kipc_ioc_dup(void __user *uarg);

/*
 * The object behind an object fd, and the fd's roles (KIPC_ROLE_*), or
 * NULL when @file is not a file of that type.  The result is valid for
 * as long as the caller holds @file: the file holds a reference on it.
 */
struct kipc_obj *kipc_ring_file_obj(struct file *file, u32 *role);
struct kipc_obj *kipc_queue_file_obj(struct file *file, u32 *role);

/**
 * kipc_publish_fd() - give a new object's file to user space
 * @obj: the object behind @file
 * @file: the file; consumed in every case
 * @name: name to publish @obj under in the caller's IPC namespace, or NULL
 * @fd_flags: KIPC_FD_* (O_CLOEXEC is always set)
 * @fd_field: where the fd number goes in @karg
 * @uarg: the caller's argument, where @karg is copied back
 * @karg: the kernel's copy of the argument, fully initialized
 * @ksize: its size (the exact size of the command's structure)
 *
 * Reserves an fd, copies @karg (with the fd) out, names the object, lists
 * it (LIST, debugfs), and only then installs the file: every step that can
 * fail comes first, so a failure leaves no fd, no name and no listing.
 * Return: the fd, or -EMFILE, -EFAULT, -EEXIST, -ENOMEM, -EOPNOTSUPP
 * (names on a kernel without CONFIG_POSIX_MQUEUE).
 */
int kipc_publish_fd(struct kipc_obj *obj, struct file *file, const char *name,
		    u32 fd_flags, __s32 *fd_field, void __user *uarg,
		    const void *karg, size_t ksize);

/**
 * kipc_open_fd() - a new endpoint on an existing object, for user space
 * @obj: the object (the caller holds a reference)
 * @role: KIPC_ROLE_*, already permitted
 * @fd_flags, @fd_field, @uarg, @karg, @ksize: as for kipc_publish_fd()
 *
 * Reserves the fd and copies the result out first, and opens the
 * endpoint (which other endpoints may notice) only when nothing else can
 * fail: a failed call leaves no trace.
 * Return: the fd, or -EMFILE, -EFAULT, -ENOMEM.
 */
int kipc_open_fd(struct kipc_obj *obj, u32 role, u32 fd_flags,
		 __s32 *fd_field, void __user *uarg, const void *karg,
		 size_t ksize);

/* Validate and convert a role / fd_flags pair from an ioctl. */
int kipc_check_role(u32 role, u32 fd_flags);
static inline int kipc_fd_flags(u32 fd_flags)
{
	return O_CLOEXEC | ((fd_flags & KIPC_FD_NONBLOCK) ? O_NONBLOCK : 0);
}

/* Queues (queue.c). */
long kipc_ioc_queue_create(void __user *uarg);
u32 kipc_queue_max_msg_size(void);

int kipc_obj_module_init(void);
void kipc_obj_module_exit(void);

extern unsigned long kipc_max_user_bytes;
extern unsigned int kipc_max_objects;
extern unsigned int kipc_max_user_objects;

#endif /* _KIPC_CORE_H */
