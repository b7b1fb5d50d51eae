/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, dirent */
#include "test_temp_dir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

char test_temp_dir[PATH_MAX];

void test_temp_dir_make(const char *name)
{
    const char *base = getenv("TMPDIR");
    snprintf(test_temp_dir, sizeof(test_temp_dir), "%s/%s-XXXXXX", base && *base ? base : "/tmp",
             name);
    ck_assert_ptr_nonnull(mkdtemp(test_temp_dir));
}

void test_temp_dir_remove(void)
{
    DIR *dir = opendir(test_temp_dir);
    if (dir) {
        struct dirent *entry;
        char path[PATH_MAX + 256];
        while ((entry = readdir(dir))) {
            if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
                continue;
            snprintf(path, sizeof(path), "%s/%s", test_temp_dir, entry->d_name);
            if (remove(path) != 0)
                fprintf(stderr, "cannot remove %s\n", path);
        }
        closedir(dir);
    }
    rmdir(test_temp_dir);
}
