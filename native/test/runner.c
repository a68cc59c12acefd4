/* Runs every registered test once per backend, each in its own process (so a crash, an ASan report or a
 * leak found by LeakSanitizer at the child's exit fails just that test). Prints TAP-like lines and ends
 * with "N passed, N failed". */
#include "test.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 128
static struct { const char *name; test_fn fn; } tests[MAX_TESTS];
static int ntests;

void test_register(const char *name, test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

static void run_child(int i, enum oio_backend b)
{
	struct t t = { .backend = b };

	alarm(20);
	signal(SIGPIPE, SIG_IGN); /* tests that want SIGPIPE default install it themselves */
	CHECK_OK(test_loop_init(&t.loop));
	t.ctx = test_ctx_new(&t, 0);
	t.loop.ctx = t.ctx;
	tests[i].fn(&t);
	oio_ctx_free(t.ctx);
	test_loop_close(&t.loop);
	exit(0); /* exit(), not _exit(): LeakSanitizer checks here */
}

int main(int argc, char **argv)
{
	static const char *bname[] = { "poll", "io_uring" };
	char why[256] = "";
	int uring = oio_uring_probe(why, sizeof(why));
	int n = 0, passed = 0, failed = 0, skipped = 0;
	const char *only = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int b = 0; b < 2; b++) {
		if (b == OIO_BACKEND_IO_URING && uring < 0)
			printf("# io_uring unavailable, its tests are skipped: %s\n", why);
		for (int i = 0; i < ntests; i++) {
			if (only && !strstr(tests[i].name, only))
				continue;
			n++;
			if (b == OIO_BACKEND_IO_URING && uring < 0) {
				printf("ok %d %s/%s # SKIP %s\n", n, bname[b], tests[i].name, why);
				skipped++;
				continue;
			}
			fflush(stdout);
			fflush(stderr);
			pid_t pid = fork();
			if (pid == 0)
				run_child(i, (enum oio_backend)b);
			int st = 0;
			waitpid(pid, &st, 0);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
				printf("ok %d %s/%s\n", n, bname[b], tests[i].name);
				passed++;
			} else {
				if (WIFSIGNALED(st))
					printf("# killed by signal %d%s\n", WTERMSIG(st), WTERMSIG(st) == SIGALRM ? " (timeout)" : "");
				else
					printf("# exit status %d\n", WEXITSTATUS(st));
				printf("not ok %d %s/%s\n", n, bname[b], tests[i].name);
				failed++;
			}
		}
	}
	if (skipped)
		printf("# %d skipped\n", skipped);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
