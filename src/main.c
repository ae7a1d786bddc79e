/* main.c - spider: arguments -> configuration -> server. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "net/snapfile.h"
#include "server.h"

int main(int argc, char **argv)
{
    config_t cfg;
    char err[512];
    switch (config_parse(&cfg, argc, argv, stdout, err, sizeof err)) {
    case CONFIG_EXIT:
        return 0;
    case CONFIG_ERROR:
        fprintf(stderr, "spider: %s\n", err);
        return 2;
    default:
        if (cfg.data_dir[0] && strcmp(cfg.snapshot_writer, "fork") == 0)
            snapfile_hugepages_reexec(argv);
        return server_run(&cfg);
    }
}
