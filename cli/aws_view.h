/*
 * aws_view.h — how `ssrfguard aws instance` shows the instance model
 * (playbook/instance.h): aligned text for a person, or one JSON object
 * (`--json`) whose shape is the command's interface.  Writes to stdout.
 */
#ifndef SSRFGUARD_CLI_AWS_VIEW_H
#define SSRFGUARD_CLI_AWS_VIEW_H

#include "playbook/instance.h"

void aws_view_print(const pb_instance *v);
/* SG_ERR_NOMEM when the JSON could not be built (nothing printed). */
sg_err aws_view_print_json(const pb_instance *v);

#endif
