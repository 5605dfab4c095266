/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc - internal interfaces shared by the files of the module.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef _KIPC_CORE_H
#define _KIPC_CORE_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/uidgid.h>
#include <linux/kipc.h>

struct file;
struct seq_file;

int kipc_copy_args_in(void *karg, size_t ksize, size_t ver0,
		      unsigned int cmd, const void __user *uarg);
int kipc_copy_args_out(void __user *uarg, unsigned int cmd,
		       const void *karg, size_t ksize);

/*
 * Objects (rings, queues) share one header, one name registry, one
 * permission check, one per-user memory limit and one global list.
 *
 * Lifetime: struct kipc_obj is refcounted (kref).  Each object fd holds a
 * reference (file->private_data points at the type's struct, which embeds
 * the kipc_obj), each mapping holds one through its file, and a name in
 * the registry holds one until it is unlinked.  Every object also pins
 * the module (try_module_get at creation, module_put on release), so
 * rmmod is refused while any object exists.
 */
struct kipc_obj;

struct kipc_obj_ops {
	/* Free the type's memory; called once the last reference is gone. */
	void (*release)(struct kipc_obj *obj);
	/* One line of KIPC_IOC_LIST-style text for kipcctl / debugfs. */
	void (*show)(struct kipc_obj *obj, struct seq_file *m);
};

struct kipc_obj {
	struct kref ref;
	u32 type;			/* KIPC_OBJ_RING / KIPC_OBJ_QUEUE */
	u64 id;				/* unique, for listing */
	kuid_t uid;			/* owner: creator's fsuid */
	kgid_t gid;			/* group: creator's fsgid */
	umode_t mode;			/* 0..0777 */
	struct kipc_user *user;		/* charged for @charged bytes */
	size_t charged;
	const struct kipc_obj_ops *ops;
	/* Protected by kipc_objs_lock: */
	struct list_head all_node;	/* on kipc_objs */
	char name[KIPC_NAME_MAX + 1];	/* "" when anonymous or unlinked */
	const void *ns;			/* IPC namespace of the name */
};

/* Per-user memory accounting (module parameter max_user_bytes). */
struct kipc_user;

/**
 * kipc_obj_init() - set up the common part of a new object
 * @obj: embedded in the type's zeroed struct
 * @type: KIPC_OBJ_*
 * @mode: permission bits from user space (checked: only 0777 allowed)
 * @ops: type operations
 * @bytes: memory to charge against the creator's per-user limit
 *
 * Takes the module reference and the per-user charge.  On success the
 * object has one reference and is on the global list; drop it with
 * kipc_obj_put().
 *
 * Return: 0, -EINVAL (bad mode), -ENOSPC (per-user limit), -ENODEV
 * (module going away).
 */
int kipc_obj_init(struct kipc_obj *obj, u32 type, u32 mode,
		  const struct kipc_obj_ops *ops, size_t bytes);
void kipc_obj_get(struct kipc_obj *obj);
void kipc_obj_put(struct kipc_obj *obj);

/**
 * kipc_name_from_user() - copy and validate a name
 * @dst: KIPC_NAME_MAX + 1 bytes
 * @uptr: user pointer (__u64 from an ioctl struct)
 *
 * Return: 0, -EFAULT, -EINVAL (empty, too long, not NUL-terminated
 * within KIPC_NAME_MAX + 1 bytes, bad character, leading '.').
 */
int kipc_name_from_user(char *dst, u64 uptr);

/**
 * kipc_name_add() - publish an object under a name in the caller's IPC
 * namespace; the registry takes its own reference.
 * Return: 0 or -EEXIST.
 */
int kipc_name_add(struct kipc_obj *obj, const char *name);

/**
 * kipc_name_open() - find a named object and check access for @role
 * @name: validated name
 * @type: KIPC_OBJ_*
 * @role: KIPC_ROLE_*; producer needs write, consumer read permission
 *
 * Return: the object with a new reference, or ERR_PTR(-ENOENT) (no such
 * name, or an object of another type), ERR_PTR(-EACCES).
 */
struct kipc_obj *kipc_name_open(const char *name, u32 type, u32 role);

/**
 * kipc_name_unlink() - remove a name (owner or CAP_IPC_OWNER only)
 * Return: 0, -ENOENT, -EPERM.
 */
int kipc_name_unlink(const char *name, u32 type);

/* Iterate all objects for listing (debugfs "objects", kipcctl). */
void kipc_objs_show(struct seq_file *m);

int kipc_obj_module_init(void);
void kipc_obj_module_exit(void);

#endif /* _KIPC_CORE_H */
