/* A stand-in for Windows' bcryptprimitives.dll, for running the exe under a Wine that lacks it (Wine 8).
 *
 * Rust's standard library gets its random numbers (HashMap seeds) from `ProcessPrng` in
 * bcryptprimitives.dll, which Windows 10 and later have. This DLL exports only that function and fills the
 * buffer from advapi32's RtlGenRandom (exported as SystemFunction036), which every Wine has. It is built
 * and copied into a throwaway Wine prefix by check-under-wine.sh; it is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Same contract as Windows': always succeeds (the real one terminates the process rather than fail). */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            ExitProcess(0xC0000001u);
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
