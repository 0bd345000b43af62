/*
 * libyaml.h: includes the system libyaml header, which common/yaml.h
 * shadows on the include path (-Icommon): include_next skips common/.
 */
#ifndef MAAS_LIBYAML_H
#define MAAS_LIBYAML_H

#include_next <yaml.h>

#endif
