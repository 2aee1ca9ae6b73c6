/*
 * reverse_shells.yar — scripts and one-liners that hand a shell to a
 * remote host.  Part of ssrfguard's shipped ruleset (docs/forensics.md).
 * Each rule needs both the connection and the shell wired to it.
 */

rule bash_dev_tcp_reverse_shell
{
    meta:
        description = "shell redirected to a /dev/tcp or /dev/udp connection (bash reverse shell)"
        severity = "high"
        category = "reverse shell"
    strings:
        $redir = /\b(ba|z|k|da)?sh\s+-i\s*(>&|&>|>)\s*\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}/
        $exec_fd = /exec\s+[0-9]{1,3}\s*<>\s*\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}/
        $fd_dup = /\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}\s+0\s*>\s*&\s*1/
    condition:
        any of them and filesize < 1MB
}

rule netcat_exec_reverse_shell
{
    meta:
        description = "netcat, ncat or socat handing a shell to a remote host"
        severity = "high"
        category = "reverse shell"
    strings:
        $nc_e = /\b(nc|ncat|netcat)(\.traditional|\.openbsd)?\s+(-[a-z]+\s+)*-[a-z]*[ec]\s*\/bin\/(ba)?sh\b/
        $fifo = /mkfifo\s+\S{1,200}\s*;\s*(cat|tail -f)\s+\S{1,200}\s*\|\s*\/bin\/(ba)?sh\s+-i\s*2?>&1\s*\|\s*(nc|ncat|netcat)\s/
        $socat = /socat\s+(-\S*\s+)*(tcp|tcp4|tcp6|openssl)(-connect)?:[^\s]{1,255}\s+exec:['"]?\/?(bin\/)?(ba)?sh/ nocase
    condition:
        any of them and filesize < 1MB
}

rule python_socket_reverse_shell
{
    meta:
        description = "Python connecting a socket and wiring a shell to it"
        severity = "high"
        category = "reverse shell"
    strings:
        $sock = /socket\s*\.\s*socket\s*\(/
        $connect = /\.connect\s*\(\s*\(\s*["'][^"']{1,255}["']\s*,\s*[0-9]{1,5}\s*\)\s*\)/
        $dup2 = /os\s*\.\s*dup2\s*\(\s*\w{1,30}\s*\.\s*fileno\s*\(\s*\)\s*,\s*[012]\s*\)/
        $pty = /pty\s*\.\s*spawn\s*\(\s*["']\/bin\/(ba)?sh["']/
        $popen = /subprocess\s*\.\s*(call|Popen|run)\s*\(\s*\[\s*["']\/bin\/(ba)?sh["']\s*,\s*["']-i["']/
    condition:
        $sock and $connect and ($dup2 or $pty) and ($pty or $popen or #dup2 >= 2) and filesize < 1MB
}

rule perl_php_socket_reverse_shell
{
    meta:
        description = "Perl or PHP opening a socket and exec'ing a shell on it"
        severity = "high"
        category = "reverse shell"
    strings:
        $perl_sock = /socket\s*\(\s*S\s*,\s*PF_INET/
        $perl_open = /open\s*\(\s*STDIN\s*,\s*["']>&S["']\s*\)/
        $perl_exec = /exec\s*\(?\s*["']\/bin\/(ba)?sh(\s+-i)?["']/
        $php_sock = /fsockopen\s*\(\s*["'][^"']{1,255}["']\s*,\s*[0-9]{1,5}\s*\)/
        $php_shell = /(exec|shell_exec|system|passthru|popen|proc_open)\s*\(\s*["']\/bin\/(ba)?sh\s+-i\s*<&\s*[0-9]/
    condition:
        (($perl_sock and $perl_open and $perl_exec) or ($php_sock and $php_shell)) and filesize < 1MB
}
