/*
 * controller.h: the sandbox's reconcilers (controller.c), standing in for
 * maas-controller, KServe, the Gateway API controller and Kuadrant.  They
 * only read the store and write through api_obj_write()/api_obj_delete().
 */
#ifndef MAAS_SBX_CONTROLLER_H
#define MAAS_SBX_CONTROLLER_H

#include "apiserver.h"

/* Start reconciling (after api_init(), once the gateway listener is bound
 * on gw_port, which goes into LLMInferenceService URLs); -1 on error. */
int	 controller_init(const struct sbx_config *, int gw_port, struct err *);
/* Cancel pending timers and free what the controller keeps. */
void	 controller_shutdown(void);

#endif
