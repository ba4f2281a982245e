/* virt.c: whether this machine is virtual, from the CPU's hypervisor flag (/proc/cpuinfo), the
 * hypervisor's CPUID signature (leaf 0x40000000) and the DMI names (/sys/class/dmi/id). Under an
 * emulator such as QEMU's TCG, memory timings show structure, not the hardware's speed. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static int cpuinfo_has_flag(const char *path, const char *flag)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    for (int i = 0; i < 100000 && !found && getline(&line, &cap, f) > 0; i++) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        char *save = NULL;
        for (char *tok = strtok_r(line, " \t\n", &save); tok && !found; tok = strtok_r(NULL, " \t\n", &save))
            found = strcmp(tok, flag) == 0;
        break;  /* the first CPU's flags stand for all */
    }
    free(line);
    fclose(f);
    return found;
}

static void cpuid_signature(char out[16])
{
    out[0] = '\0';
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    __cpuid(1, a, b, c, d);
    if (!(c & (1u << 31)))
        return;     /* no hypervisor present bit: leaf 0x40000000 means nothing */
    __cpuid(0x40000000, a, b, c, d);
    memcpy(out, &b, 4);
    memcpy(out + 4, &c, 4);
    memcpy(out + 8, &d, 4);
    out[12] = '\0';
    for (int i = 0; i < 12; i++)
        if (out[i] && (out[i] < 32 || out[i] > 126))
            out[i] = '?';
#endif
}

void cdn_virt_detect(const char *proc_cpuinfo, const char *sysfs_root, struct cdn_virt_info *out)
{
    char path[512], vendor[64] = "", product[64] = "";
    memset(out, 0, sizeof *out);
    out->cpu_flag = cpuinfo_has_flag(proc_cpuinfo, "hypervisor");
    cpuid_signature(out->hypervisor);
    snprintf(path, sizeof path, "%s/class/dmi/id/sys_vendor", sysfs_root);
    if (cdn_read_small_file(path, vendor, sizeof vendor, NULL) != 0)
        vendor[0] = '\0';
    snprintf(path, sizeof path, "%s/class/dmi/id/product_name", sysfs_root);
    if (cdn_read_small_file(path, product, sizeof product, NULL) != 0)
        product[0] = '\0';
    snprintf(out->dmi, sizeof out->dmi, "%s%s%s", vendor, vendor[0] && product[0] ? " " : "", product);
    out->virtualized = out->cpu_flag || out->hypervisor[0] ||
                       strstr(out->dmi, "QEMU") || strstr(out->dmi, "KVM") || strstr(out->dmi, "VMware") ||
                       strstr(out->dmi, "VirtualBox") || strstr(out->dmi, "Virtual Machine");
}

json_t *cdn_virt_to_json(const struct cdn_virt_info *v)
{
    const char *tcg = strcmp(v->hypervisor, "TCGTCGTCGTCG") == 0 ? "an emulator (QEMU TCG): " : "";
    char note[256];
    snprintf(note, sizeof note, v->virtualized
             ? "%sthe memory figures show structure (which node each access touched), not the "
               "hardware's speed; HMAT's figures are what the firmware declares"
             : "%sbare metal as far as the CPU flag, CPUID and DMI tell", tcg);
    return json_pack("{s:b, s:b, s:s?, s:s?, s:s}", "virtualized", v->virtualized,
                     "cpu_hypervisor_flag", v->cpu_flag,
                     "hypervisor", v->hypervisor[0] ? v->hypervisor : NULL,
                     "dmi", v->dmi[0] ? v->dmi : NULL, "note", note);
}
