/* conntrack.c — the idle connection-tracking timeouts an ENI has when none
 * were ever set on it, by instance type (see instance.h). */
#include "playbook/instance.h"

#include <string.h>

/*
 * The defaults: TcpEstablishedTimeout "350 seconds for Nitro v6 instance
 * types (excluding P6e-GB200); 432000 seconds for all other instance types
 * (including P6e-GB200)", UdpStreamTimeout 180, UdpTimeout 30 (EC2 API
 * reference, ConnectionTrackingSpecificationRequest,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ConnectionTrackingSpecificationRequest.html,
 * and boto3's ConnectionTrackingSpecificationRequestDict, which words it so).
 * The instance families built on Nitro v6 (the EC2 instance types guide,
 * "Instances built on the AWS Nitro System", each family's Platform
 * summary, https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-nitro-instances.html)
 * are listed here.  NOT YET CHECKED against that page (not reachable where
 * this was written): the list below is from memory and must be compared
 * with the page's table.  Either mistake is mild: a Nitro v6 family missing
 * here gets 432000 (the largest value AWS accepts, longer than its default);
 * a family wrongly here gets 350 s, still far from isolation's 60 s.
 * Add new Nitro v6 families as AWS launches them.
 */
static const char *const nitro_v6[] = {
	"c8i", "c8i-flex", "m8i", "m8i-flex", "r8i", "r8i-flex", "x8i",
	"c8id", "m8id", "r8id", "c8a", "m8a", "r8a", "c8gn", "m8gn", "m8gb",
};

static bool family_is(const char *type, const char *family)
{
	size_t n = strlen(family);
	return !strncmp(type, family, n) && type[n] == '.';
}

void pb_conntrack_defaults(const char *instance_type, pb_eni *eni)
{
	const char *t = instance_type ? instance_type : "";
	eni->conntrack_tcp_established_s = 432000;
	for (size_t i = 0; i < sizeof nitro_v6 / sizeof nitro_v6[0]; i++)
		if (family_is(t, nitro_v6[i]))
			eni->conntrack_tcp_established_s = 350;
	eni->conntrack_udp_stream_s = 180;
	eni->conntrack_udp_s = 30;
}
