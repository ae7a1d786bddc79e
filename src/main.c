/* main.c - spider: arguments -> configuration -> server. */
#include <stdio.h>

#include "config.h"
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
        return server_run(&cfg);
    }
}
