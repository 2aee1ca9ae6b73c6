/*
 * webshells.yar — server pages that run what the request says.
 * Part of ssrfguard's shipped ruleset (docs/forensics.md, "YARA").
 * Each rule needs a way in (request input) AND a way out (code or command
 * execution) close together in a server page, so a template that merely
 * prints $_GET or a library that calls exec() on constants stays quiet.
 * Size is no excuse: a page padded to megabytes (past any scanner's cut)
 * still matches -- the PHP rules need the way in inside the call itself,
 * the JSP and ASP.NET rules accept a large file when the way out is within
 * 64 KB after the first way in.
 */

rule php_webshell_request_exec
{
    meta:
        description = "PHP page passing request input to a command or code execution function"
        severity = "high"
        category = "webshell"
    strings:
        $php = "<?" ascii private
        $exec = /\b(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|assert|eval)\s*\(\s*(@\s*)?(base64_decode\s*\(\s*|str_rot13\s*\(\s*|gzinflate\s*\(\s*|stripslashes\s*\(\s*|urldecode\s*\(\s*|trim\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER|FILES)\s*\[/ nocase
        $backtick = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*`/
    condition:
        $php and ($exec or $backtick)
}

rule php_webshell_encoded_eval
{
    meta:
        description = "PHP page evaluating decoded or decompressed code (obfuscated webshell loader)"
        severity = "high"
        category = "webshell"
    strings:
        $php = "<?" ascii private
        $eval_decode = /\b(eval|assert)\s*\(\s*(@\s*)?(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin|convert_uudecode)\s*\(/ nocase
        $preg_e = /preg_replace\s*\(\s*['"]\/[^\/\n]{1,200}\/[imsx]{0,4}e[imsx]{0,4}['"]\s*,/ nocase
        $create_fn = /create_function\s*\(\s*['"]{2}\s*,\s*(base64_decode|gzinflate|\$_(GET|POST|REQUEST|COOKIE))/ nocase
        $var_fn = /\$[a-zA-Z_]\w{0,20}\s*=\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*;\s*(@\s*)?\$[a-zA-Z_]\w{0,20}\s*\(/ nocase
    condition:
        $php and any of ($eval_decode, $preg_e, $create_fn, $var_fn)
}

rule jsp_webshell_cmd
{
    meta:
        description = "JSP page running a command taken from the request"
        severity = "high"
        category = "webshell"
    strings:
        $jsp1 = "<%" ascii private
        $jsp2 = "jsp:" ascii private
        $param = /request\s*\.\s*(getParameter|getHeader|getInputStream|getReader)\s*\(/
        /* the command is the request, a variable, or a shell given one */
        $rt = /\.\s*exec\s*\(\s*(request\s*\.\s*getParameter\s*\(|[a-zA-Z_]\w{0,30}\s*[\),])/
        $pb = /new\s+ProcessBuilder\s*\(\s*(request\s*\.\s*getParameter\s*\(|[a-zA-Z_]\w{0,30}\s*\))/
        $sh = /exec\s*\(\s*new\s+String\s*\[\s*\]\s*\{\s*"(\/bin\/(ba)?sh|cmd(\.exe)?)"\s*,\s*"(-c|\/c)"\s*,\s*[a-zA-Z_]/
    condition:
        ($jsp1 or $jsp2) and $param and ($rt or $pb or $sh) and
        (filesize < 2MB or for any of ($rt, $pb, $sh) : ($ in (@param[1] .. @param[1] + 65536)))
}

rule aspx_webshell_cmd
{
    meta:
        description = "ASP.NET page starting a process with arguments from the request"
        severity = "high"
        category = "webshell"
    strings:
        $page1 = /<%@\s*Page/ nocase
        $page2 = "runat=\"server\"" nocase
        $page3 = "<%" ascii private
        $proc1 = /Process\s*\.\s*Start\s*\(/ nocase
        $proc2 = /new\s+(System\s*\.\s*Diagnostics\s*\.\s*)?ProcessStartInfo\s*\(/ nocase
        $proc3 = /WScript\.Shell/ nocase
        $req = /Request\s*(\.\s*(Form|QueryString|Params|Headers|Item)\s*)?\[\s*["']/ nocase
        $cmd = /\b(cmd(\.exe)?|powershell(\.exe)?)\b/ nocase
    condition:
        any of ($page*) and any of ($proc*) and $req and $cmd and
        (filesize < 2MB or for any of ($proc*) : ($ in (@req[1] - 65536 .. @req[1] + 65536)))
}
