/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc - private declarations shared by the library's files.
 *
 * Copyright (C) 2026 The kipc authors.
 */
#ifndef KIPC_PRIVATE_H
#define KIPC_PRIVATE_H

#include <errno.h>

/* Open the control device; returns an fd or -errno (-ENODEV if absent). */
int kipc__open_dev(void);

/* ioctl() wrapper that returns the result or -errno and keeps errno. */
int kipc__ioctl(int fd, unsigned long cmd, void *arg);

#endif /* KIPC_PRIVATE_H */
