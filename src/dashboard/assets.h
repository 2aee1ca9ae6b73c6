/* assets.h — the dashboard's embedded static files (assets.c). */
#ifndef SSRFGUARD_DASHBOARD_ASSETS_H
#define SSRFGUARD_DASHBOARD_ASSETS_H

#include <stddef.h>

typedef struct dash_asset {
	const char *path, *type, *body;
	size_t len;
} dash_asset;

extern const dash_asset dash_assets[]; /* ends with a NULL path */
extern const dash_asset dash_login_page;

/* The asset served at path ("/", "/app.js"), or NULL. */
const dash_asset *dash_asset_find(const char *path);

#endif
