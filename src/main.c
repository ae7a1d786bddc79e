/* main.c - spider: arguments -> configuration -> server. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "core/log.h"
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
        log_error("%s", err);
        return 2;
    default:
        log_set_format(strcmp(cfg.log_format, "json") == 0 ? LOG_JSON : LOG_TEXT);
        if (cfg.data_dir[0] && strcmp(cfg.snapshot_writer, "fork") == 0)
            snapfile_hugepages_reexec(argv);
        return server_run(&cfg);
    }
}
