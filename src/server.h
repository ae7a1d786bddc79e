/* server.h - Spider's process: the libwebsockets context and its lifecycle.
 *
 * server_run() builds the store, listens, logs the URL, ticks once a second
 * (time moves on in the store, request deadlines are enforced) and serves
 * until SIGINT/SIGTERM; then it lets in-flight answers finish (bounded) and
 * returns. One service thread does everything.
 */
#ifndef SPIDER_SERVER_H
#define SPIDER_SERVER_H

#include "config.h"

/* Runs the server with cfg until a stop signal. Returns the process exit
 * status: 0 after a clean stop, 1 if it could not start (message logged). */
int server_run(const config_t *cfg);

#endif
