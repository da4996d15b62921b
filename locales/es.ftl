# lab's messages: one per line, `id = text`. `{ $a1 }`, `{ $a2 }`… are filled in order
# with what the message is about (see the English file).

wire-missed = la captura se quedó atrás: el kernel descartó aquí { $a1 ->
        [one] { $a1 } paquete, que no se muestra
       *[other] { $a1 } paquetes, que no se muestran
    } (ni en --pcap)
wire-summary = cable: { $a1 ->
        [one] { $a1 } segmento capturado
       *[other] { $a1 } segmentos capturados
    }, sin mostrar: { $a2 } (solo ACK de datos; --wire all los muestra), sin capturar: { $a3 }
wire-summary-all = cable: { $a1 ->
        [one] { $a1 } segmento capturado, mostrado
       *[other] { $a1 } segmentos capturados, todos mostrados
    }, sin capturar: { $a2 }
wire-summary-off = cable: { $a1 ->
        [one] { $a1 } segmento capturado, sin mostrar (--wire off; --wire summary o all lo muestra)
       *[other] { $a1 } segmentos capturados, sin mostrar: todos (--wire off; --wire summary o all los muestra)
    }, sin capturar: { $a2 }
on-the-wire = en el cable
netns-refused = sin red propia de lab ({ $a1 } falló: { $a2 }). { $a3 } Se ejecuta en la red de la máquina: los segmentos no se capturan y cada flecha se deduce de las llamadas.
netns-max-user-ns = user.max_user_namespaces vale 0: permítelos con `sudo sysctl user.max_user_namespaces=15000`.
netns-unpriv-clone = kernel.unprivileged_userns_clone vale 0: permítelos con `sudo sysctl kernel.unprivileged_userns_clone=1`.
netns-app-armor = kernel.apparmor_restrict_unprivileged_userns vale 1 (Ubuntu): el espacio se crea sin sus capacidades. Permítelo con `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, o da a lab un perfil de AppArmor con `userns,`, o ejecútalo con sudo.
netns-threads = El proceso ya tenía hilos (a un proceso con varios hilos se le niega un espacio de usuario): un fallo de lab, avísanos.
netns-seccomp = Ningún sysctl lo prohíbe: puede hacerlo el perfil seccomp de un contenedor (Docker: `--security-opt seccomp=unconfined`), o ejecuta lab con sudo.
col-number = #
col-time = tiempo ms
col-who = quién
col-call = llamada
col-result = res.
col-state = estado
col-kernel = kernel
col-call-result = llamada → resultado
step-next = siguiente: { $a1 } { $a2 }  — Intro, c, q, ?{" "}
step-continue = c: sigo hasta el final sin pausas
step-quit = q: salgo
step-ctrl-c = Ctrl+C: parado en el acto (el kernel cierra lo que quedó abierto)
step-keys = Intro o espacio: hacer esta llamada · c: seguir hasta el final sin pausas · q: salir limpiamente · ?: estas teclas · Ctrl+C: parar en el acto
step-unknown-key = esa tecla no hace nada aquí: ? muestra las teclas
lesson-stopped = lección { $a1 }: parada antes de la línea { $a2 } (q); { $a3 ->
        [one] { $a3 } comprobación
       *[other] { $a3 } comprobaciones
    } hasta aquí, { $a4 ->
        [one] { $a4 } no se cumple
       *[other] { $a4 } no se cumplen
    }
step-no-terminal = (no hay terminal en la que esperar; sigo)
wrote-file = escrito { $a1 }
diagram-inferred = deducida de las llamadas: ninguna captura de la red la muestra
diagram-on-the-wire = estado de un cierre visto en el cable (su FIN salió, el ACK aún no volvió), no en la tabla del kernel
diagram-accepted = fd { $a1 }, aceptado: { $a2 }
diagram-bytes = { $a1 } ({ $a2 ->
        [one] { $a2 } byte
       *[other] { $a2 } bytes
    })
diagram-inferred-arrow = (deducido)
page-summary = { $a1 ->
        [one] { $a1 } evento
       *[other] { $a1 } eventos
    }; la tabla del kernel coincidió { $a2 ->
        [one] { $a2 } vez
       *[other] { $a2 } veces
    }, discrepó { $a3 ->
        [one] { $a3 } vez
       *[other] { $a3 } veces
    }
page-checks = ; { $a1 ->
        [one] { $a1 } expectativa
       *[other] { $a1 } expectativas
    }, { $a2 } sin cumplir
page-first = {" "}(se dibujan los primeros { $a1 } de { $a2 })
lesson-all-met = lección { $a1 }: todas las expectativas se cumplen ({ $a2 ->
        [one] { $a2 } comprobación
       *[other] { $a2 } comprobaciones
    })
lesson-title = lección { $a1 }: { $a2 }
lesson-not-met = lección { $a1 }: { $a2 } de { $a3 ->
        [one] { $a3 } expectativa no se cumple
       *[other] { $a3 } expectativas { $a2 ->
            [one] no se cumple
           *[other] no se cumplen
        }
    }
check-ok = ok
check-fail = FALLO
check-totals = { $a1 } bien, { $a2 } mal
check-skip = omit
check-skipped = , { $a1 } sin correr aquí
check-counts = ({ $a1 ->
        [one] { $a1 } comprobación
       *[other] { $a1 } comprobaciones
    }, { $a2 } ms)
list-topic = tema
list-lesson = lección
list-from = origen
lang-name = { $a1 ->
    [en] inglés
    [es] español
    [pt] portugués
   *[other] { $a1 }
}
lessons-built-in = las lecciones de lab
check-untranslated = {"     "}sin traducir al { $a1 }: { $a2 } (se muestra en { $a3 })
check-untranslated-all = {"     "}sin traducir al { $a1 } (se muestra en { $a2 })
list-title = título
list-question = pregunta
server-listening = lab server: escuchando en { $a1 } ({ $a2 })
    {"            "}hasta { $a3 ->
        [one] { $a3 } cliente
       *[other] { $a3 } clientes
    }, límite de fds { $a4 }; Ctrl+C para parar
server-stopped = lab server: parado
model-threads = hilos: uno por cliente
model-poll = poll: un solo hilo
model-epoll = epoll: un hilo, el kernel guarda la lista de fds
trace-attached = enganchado al proceso { $a1 }: Ctrl+C lo suelta, y sigue como antes
trace-children = el proceso { $a1 } tiene hijos, lanzados antes de que lab se uniera y no trazados: si es un shell o un lanzador, los sockets son suyos: { $a2 }
trace-detached = soltado el proceso { $a1 }: sigue sin trazar
trace-ended = el programa terminó con estado { $a1 }
trace-killed = el programa murió por la señal { $a1 }
trace-privileges-filter = { $a1 } es { $a2 }: bajo lab trace se ejecuta SIN esos derechos (el filtro seccomp de lab activa no_new_privs, y exec los ignora), así que una llamada que los necesite falla (EPERM). Para trazarlo con ellos: arráncalo tú y `sudo lab trace -p PID`, o `sudo lab trace --no-filter -- PROGRAMA`
trace-privileges-ptrace = { $a1 } es { $a2 }: trazado por un proceso sin CAP_SYS_PTRACE, exec los ignora y se ejecuta SIN esos derechos, así que una llamada que los necesite falla (EPERM). Para trazarlo con ellos: `sudo lab trace -p PID`
trace-unseen-sendfile = sendfile() copia un archivo al socket dentro del kernel: la traza muestra cuántos bytes envió, no cuáles eran
trace-unseen-splice = splice() mueve datos entre una tubería y el socket dentro del kernel: la traza muestra cuántos bytes, no cuáles eran
trace-unseen-io-uring = este programa crea un io_uring: lo que envía por el anillo (connect, accept, send, recv…) lo hace el kernel sin una llamada al sistema por operación, y ningún trazador lo ve: la traza muestra solo las llamadas que hace directamente
trace-signal = --- { $a1 } --- entregada al programa: su acción por defecto
trace-signal-ignored = --- { $a1 } --- ignorada por el programa (SIG_IGN): no pasa nada
trace-signal-caught = --- { $a1 } --- entregada al manejador del programa
trace32-bit = una llamada al sistema de 32 bits (int 0x80): no soportada; sus llamadas no se muestran
trace-blind = { $a1 }: lab no puede mirar los fd de este proceso, así que sus llamadas de socket se muestran sin comprobar (?), y las que pueden ser sobre un fichero (read, write, close, dup, fcntl, poll, epoll…) solo con --all-fds
no-lessons-folder = no se puede leer la carpeta de lecciones { $a1 } ({ $a2 }): revisa la ruta dada con --lessons o LAB_LESSONS
no-such-lesson = no hay ninguna lección '{ $a1 }' en { $a2 } (hay: { $a3 })
did-you-mean = no hay ninguna lección '{ $a1 }' en { $a2 }: ¿querías decir '{ $a3 }'?
peer-closed-relay = lab: el otro extremo cerró su lado (recv devolvió 0); Ctrl+D cierra el nuestro
detail-accepted = { $a1 } desde { $a2 }
detail-from = desde { $a1 }
gone = ya no está
detail-eof-own = EOF: este lado se cerró para lectura
detail-eof-peer = EOF: el otro extremo cerró su lado
detail-blocked = … bloqueada, esperando
detail-unfinished = … sin terminar: el hilo acabó antes de que volviera
detail-interrupted = ? { $a1 }: interrumpida por una señal, { $a2 }
restart-sys = se repite salvo que se ejecutara un manejador sin SA_RESTART (entonces, EINTR)
restart-no-intr = siempre se repite
restart-no-hand = se repite salvo que se ejecutara un manejador (si no, EINTR)
restart-block = sigue como restart_syscall cuando el programa vuelve a correr
restarted = reiniciada
fd-gone = (fd cerrado)
client-server-closed = {"*"} el servidor cerró la conexión
client-lost = ! conexión perdida: { $a1 }
on-port = {" "}en el puerto { $a1 }
watching = vigilando { $a1 ->
        [one] { $a1 } socket
       *[other] { $a1 } sockets
    }{ $a2 }; Ctrl+C para parar
err-in-use = { $a1 } ya está en uso: otro programa escucha ahí (ver `lab sockets --port { $a2 } -p`), o una conexión en TIME-WAIT retiene el puerto y el listener no puso SO_REUSEADDR
err-in-use-held = { $a1 } ya está en uso: { $a2 } (ver `lab sockets --port { $a3 } -p`)
held-by-listener = { $a1 } escucha ahí, en manos de { $a2 }
held-by-connection = la conexión { $a1 } en { $a2 } retiene el puerto{ $a3 }: un socket nuevo solo lo obtiene si pone SO_REUSEADDR (y, si es el puerto de un listener, el viejo también)
held-by-other = un proceso de otro usuario
err-access = { $a1 }: los puertos por debajo de 1024 necesitan root (o CAP_NET_BIND_SERVICE); elige un puerto ≥ 1024
err-no-addr = { $a1 }: esta máquina no tiene esa dirección; usa 127.0.0.1, ::1 o 0.0.0.0
err-refused = { $a1 }: nadie escucha ahí (el kernel respondió al SYN con RST)
err-timed-out = { $a1 }: no hubo respuesta al SYN (un cortafuegos, o no existe ese host)
err-too-many-files = demasiados ficheros abiertos: sube el límite con `ulimit -n`
accept-after-shut-rd = el listener se cerró para lectura (shutdown(SHUT_RD)): accept() falla con EINVAL — así se despierta un accept() bloqueado para que pare
close-held-by = { $a1 } aún tiene este socket (un dup(), o un proceso hecho con fork()): este close() quitó una referencia, no se envió FIN
close-held-passing = { $a1 } aún tiene este socket: un hijo entre fork() y exec() tiene una copia de cada fd de su padre hasta que exec() los cierra; aún no hay FIN
close-held-unseen = una referencia que lab no puede ver aún tiene este socket (un proceso de otro usuario, o un fd en tránsito entre procesos): este close() quitó una referencia, no se envió FIN
close-let-go = un hijo entre fork() y exec() tuvo este socket { $a1 } µs después del close() (tiene una copia de cada fd de su padre): el FIN salió cuando lo soltó
close-let-go-unseen = una referencia que lab no pudo ver (un proceso de otro usuario, o uno que lo soltó antes de que lab mirara) tuvo este socket { $a1 } µs después del close(): el FIN salió cuando lo soltó
abort-linger0 = SO_LINGER 0: close() envía RST, no FIN
abort-unread = datos sin leer en la cola de recepción: close() envía RST, no FIN
crossed = el FIN del otro extremo se cruzó con el nuestro
fin-already-back = el FIN del otro extremo ya había vuelto en la primera mirada
peer-moved-on = el otro extremo lo movió entretanto: línea siguiente
close-should-show = tras close() desde { $a1 } la tabla debería mostrar { $a2 }
or = {" "}o{" "}
close-after-gap = el FIN del otro extremo llegó entre la mirada de lab y el propio close: cerrado desde CLOSE-WAIT (FIN, LAST-ACK, desaparece)
move-handshake = el saludo terminó (el programa del otro extremo aún no llamó a accept)
move-fin-arrived = llegó el FIN del otro extremo: recv() devolverá 0
move-crossed-closing = el FIN del otro extremo se cruzó con el nuestro: los dos lados cierran a la vez
move-fin-acked = el otro extremo confirmó nuestro FIN
move-time-wait = llegó el FIN del otro extremo: quien cierra primero espera en TIME-WAIT (60 s)
move-fin-with-ack = llegó el FIN del otro extremo con la confirmación del nuestro (cerró al leer nuestro FIN): quien cierra primero espera en TIME-WAIT (60 s)
move-last-ack-gone = el otro extremo confirmó nuestro FIN: la conexión desaparece
move-time-wait-expired = TIME-WAIT expiró: la 4-tupla vuelve a estar libre
move-reset = el otro extremo reinició la conexión (RST): el fd sigue, la conexión desaparece
move-gone = la conexión ya no está en la tabla
move-listener-gone = el listener ya no está en la tabla: nadie escucha ya en su puerto
move-reset-orphan = reiniciada: un RST la terminó, sin TIME-WAIT (el otro extremo abortó — p. ej. cerró con datos sin leer)
move-timed-out = expiró: no llegó nada del otro extremo y el temporizador del kernel la soltó
move-keep-alive-gave-up = el kernel de este lado se rindió: sus sondas keep-alive quedaron sin respuesta, así que envió RST y soltó la conexión; el fd sigue
move-gave-up = el kernel de este lado se rindió ante un otro extremo mudo (se agotaron las retransmisiones, las sondas keep-alive o TCP_USER_TIMEOUT): el fd sigue, la conexión desaparece
move-ended-unknown = la conexión desaparece, el fd sigue: un RST del otro extremo, o el kernel de este lado se rindió — nada de lo que vio la traza dice cuál (el cable no se muestra)
move-own-end-orphan = la terminó el kernel de este lado, sin TIME-WAIT: no llegó ningún RST del otro extremo (llegaron datos para el socket cerrado y respondió RST, o un temporizador se rindió)
move-ended-unknown-orphan = desaparece, sin TIME-WAIT: la terminó un RST del otro extremo o un temporizador de este lado — nada de lo que vio la traza dice cuál (el cable no se muestra)
move-other = el kernel cambió el estado
not-tcp = no es un socket TCP: no tiene estados de conexión
read-later-moved = sin confirmar: cuando se leyó la tabla, después de la llamada, la conexión ya estaba en { $a1 }
read-later-gone = sin confirmar: cuando se leyó la tabla, después de la llamada, la conexión ya no estaba
no-local = sin dirección local
unbound = no aparece (sin bind): un socket entra en la tabla cuando tiene un puerto
no-peer = sin dirección del otro extremo para buscar la conexión
fd-close-time-wait = el socket del fd está en CLOSE; su conexión sigue en TIME-WAIT sin él
connection-over = la conexión terminó
bound-invisible = con bind pero sin listen: invisible para sock_diag antes de Linux 6.8
bound-idle = con bind, inactivo: aparece desde Linux 6.8
close-port-given = en CLOSE y sin puerto (uno que bind() no nombró se devuelve): no está en la tabla
no-row = la tabla no tiene fila para esta 4-tupla
other-inode = la fila de esta 4-tupla es otro socket (el inodo es distinto)
expect-got = se esperaba { $a1 }, se obtuvo { $a2 }
expect-state-met = estado { $a1 }
expect-state = se esperaba el estado { $a1 }, el fd dice { $a2 }
expect-kernel-met = kernel { $a1 }
expect-kernel = se esperaba { $a1 }, el kernel dice { $a2 }
expect-queue = se esperaba { $a1 } { $a2 }, el kernel dice { $a3 }
no-state = sin estado
guard-note = la guarda de la lección: espera (como mucho 3 s) hasta que una llamada bloqueante no bloquee
clean-up = limpieza: se cierran los sockets que la lección dejó abiertos
accept-forever = accept() esperaría para siempre: ninguna conexión espera en { $a1 }
recv-forever = recv() esperaría para siempre: no llegará nada
recv-waitall-forever = recv() en { $a1 } con MSG_WAITALL esperaría para siempre: espera los { $a2 } bytes, y habían llegado { $a3 } al cabo de { $a4 } s
send-forever = send() en { $a1 } esperaría para siempre: los búferes no admiten más y ningún paso lee mientras espera; había enviado { $a3 } de { $a2 } bytes al cabo de { $a4 } s, y se interrumpió
connect-forever = connect() en { $a1 } esperó demasiado: su handshake no terminó en { $a2 } s, y su kernel reenvía el SYN hasta agotar sus reintentos (unos 2 minutos por defecto; setsockopt TCP_SYNCNT N lo acorta); se lo interrumpió
send-before-connected = send() en { $a1 } esperó demasiado: su conexión sigue en el handshake (SYN-SENT), y un send() bloqueante espera a que termine; se interrumpió al cabo de { $a2 } s
recvfrom-forever = recvfrom() esperaría para siempre: no llegará ningún datagrama
wait-for = esperar a { $a1 }
waited = { $a1 } (tras esperar)
fd-reports = el fd dice { $a1 }
kernel-reports = el kernel dice { $a1 }
kernel-reports-recv-q = el kernel dice Recv-Q { $a1 }
kernel-reports-send-q = el kernel dice Send-Q { $a1 }
wait-timed-out = se esperaba { $a1 } en { $a2 } s, { $a3 }
table-words = la tabla del kernel: { $a1 }, Recv-Q { $a2 }{ $a3 }
table-timer = , temporizador { $a1 }
table-no-row = la tabla del kernel: sin fila
wire-step-met = { $a1 } visto en el cable
wire-step-missing = se esperaba { $a1 } en el cable en { $a2 } s; { $a3 }
wire-step-nothing = nada más fue de { $a1 } a { $a2 }
wire-step-other = lo último que fue de { $a1 } a { $a2 }: { $a3 }
wire-step-time = se esperaba { $a1 }, visto { $a2 } ms después del segmento anterior
wire-step-not-checked = wire { $a1 }: sin comprobar, aquí no hay captura ({ $a2 })
lesson-needs-hosts = esta lección corre en hosts unidos por el enlace de lab, y aquí no se pueden crear: { $a1 }
lesson-link-now = el enlace desde ahora: { $a1 }
lesson-sysctl = sysctl { $a1 }={ $a2 } en { $a3 }
lesson-no-sysctl = sysctl { $a1 }={ $a2 }: este kernel no tiene ese ajuste, nada cambió en { $a3 }
ask-name = ¿Cómo te llamas?
room-welcome = {"*"} ¡Bienvenid@ al chat de lab! ¿Cómo te llamas? (de 1 a 16 letras, dígitos, _ o -)
room-too-long = ! línea demasiado larga (más de { $a1 } bytes): descartada
room-left = {"*"} { $a1 } salió del chat{ $a2 }
leave-disconnected = {" "}(desconectad@)
leave-reset = {" "}(conexión reiniciada)
leave-too-slow = {" "}(echad@: dejó de leer)
leave-shutdown = {" "}(el servidor se apaga)
client-needs-name = --dialect { $a1 } envía su nombre justo después de connect(): dalo con --name
paced-pause = esperó { $a1 } ms para que este mensaje llegue en su propio recv(): el protocolo no delimita sus mensajes
chatbid-expected = ! se esperaba MESSAGE:texto o DISCONNECT:, llegó '{ $a1 }'
room-shutdown = {"*"} el servidor se apaga, ¡adiós!
room-bad-name = ! { $a1 }. ¿Cómo te llamas?
room-name-taken = ! el nombre '{ $a1 }' ya está en uso. ¿Cómo te llamas?
room-hi = {"*"} ¡Hola { $a1 }, bienvenid@! { $a2 ->
        [one] Hay { $a2 } usuari@ más
       *[other] Hay { $a2 } usuari@s más
    }. Escribe :h para ver la ayuda.
room-deck-empty = {"*"} el mazo de artefactos está vacío: no tienes ninguno
room-your-artifacts = {"*"} tus artefactos: { $a1 }
room-joined = {"*"} { $a1 } entró al chat
room-mine = { $a1 } (tú): { $a2 }
room-users = {"*"} usuari@s ({ $a1 }): { $a2 }
room-you-are = {"*"} eres { $a1 }: id { $a2 }, fd { $a3 } en el servidor, tu dirección { $a4 }
room-bye = {"*"} ¡adiós { $a1 }!
room-no-artifact = ! no hay ningún artefacto '{ $a1 }' en el catálogo (ids 1-20)
room-usage = ! uso: { $a1 }
room-unknown = ! comando desconocido { $a1 }: escribe :h para ver la ayuda
room-no-such-user-dashed = ! no existe ese usuario: :p-nombre-texto necesita el nombre de alguien conectad@ (ver :u)
room-users-ids = {"*"} usuari@s ({ $a1 }), id y dirección:
room-users-more = {"*"}   ... y { $a1 } más
list-more = , ... y { $a1 } más
room-no-artifacts = {"*"} no tienes artefactos
room-empty-private = ! mensaje vacío para { $a1 }
room-private-in = {"["}privado] { $a1 } -> tú: { $a2 }
room-private-out = {"["}privado] tú -> { $a1 }: { $a2 }
room-no-user = ! no hay nadie llamad@ '{ $a1 }' (ver :u)
room-self-trade = ! no puedes intercambiar contigo mism@
poll-first-words = espera hasta { $a1 } ms a que { $a2 } hable primero: sus primeros bytes dicen qué protocolo habla (--dialect auto); si calla, se le saluda
client-not-sent = (no enviado: { $a1 })
room-you-lack = ! no tienes el artefacto { $a1 } (ver :artifacts)
room-they-lack = ! { $a1 } no tiene el artefacto { $a2 }
room-you-have = ! ya tienes { $a1 }: una mano tiene cada artefacto una sola vez
room-they-have = ! { $a1 } ya tiene { $a2 }: una mano tiene cada artefacto una sola vez
room-offer-in = {"*"} { $a1 } te ofrece { $a2 } por tu { $a3 }: :accept { $a4 } o :reject { $a5 }
room-offer-out = {"*"} oferta enviada a { $a1 }: tu { $a2 } por su { $a3 }
room-no-offer-from = ! no hay ninguna oferta de '{ $a1 }'
room-no-offer = ! no hay ninguna oferta pendiente
room-several-offers = ! varias ofertas: di de quién, p. ej. :accept ana
room-rejected-yours = {"*"} { $a1 } rechazó tu oferta ({ $a2 } por { $a3 })
room-you-rejected = {"*"} rechazaste la oferta de { $a1 }
room-accepted = {"*"} { $a1 } aceptó: diste { $a2 } y recibiste { $a3 }
room-trade-done = {"*"} intercambio hecho: diste { $a1 } y recibiste { $a2 }
room-they-no-longer = ! { $a1 } ya no tiene { $a2 }: oferta cancelada
room-you-no-longer = ! ya no tienes { $a1 }: oferta cancelada
room-full = ! servidor lleno ({ $a1 ->
        [one] { $a1 } cliente
       *[other] { $a1 } clientes
    }): inténtalo más tarde
name-empty = un nombre necesita al menos un carácter
name-too-long = un nombre tiene como mucho { $a1 } caracteres
name-bad-char = '{ $a1 }' no está permitido: usa letras, dígitos, _ y -
name-reserved = '{ $a1 }' está reservado
room-help = {"*"} comandos (':' o '/'):
    {"*"}   texto              dilo a todo el mundo
    {"*"}   :p nombre texto    mensaje privado (también :p-nombre-texto)
    {"*"}   :u / :i            usuari@s / usuari@s con id y dirección
    {"*"}   :add               tu id, tu fd en el servidor, tu dirección
    {"*"}   :me texto          una acción
    {"*"}   :smile :angry :combito :larva   emoticonos
    {"*"}   :artefactos        tus artefactos; :artefacto N busca uno
    {"*"}   :offer nombre mío suyo          propón un cambio (ids de artefactos)
    {"*"}   :accept [nombre] / :reject [nombre] resuelve una oferta que te hicieron
    {"*"}   :h                 esta ayuda
    {"*"}   :q, chao, bye      salir
link-error = regla del enlace, columna { $a1 }: '{ $a2 }': { $a3 }
link-unknown-rule = no es una regla (delay, loss, drop, duplicate, reorder, rate, mtu, partition, heal)
link-no-host = no hay ningún host '{ $a1 }'
link-bad-duration = un tiempo es un número y una unidad, de 0 a 10s: 30ms, 1s, 250us
link-bad-percent = una probabilidad es un porcentaje de 0 a 100: 5%
link-bad-count = se esperaba un número entero en rango (mtu: 68 a 65536; cuentas: 1 a 1000000)
link-bad-rate = una tasa es un número y bit, kbit, mbit o gbit, de 1kbit a 100gbit: 1mbit
link-bad-kind = drop cuenta segmentos data, SYN, FIN o RST
link-missing = a la regla le falta su { $a1 }
link-heal-alone = 'heal' va solo: termina una partición y deja las demás reglas
link-repeated = '{ $a1 }' otra vez para un sentido que ya cubre una regla anterior (columna { $a2 }): valdrían las dos, una tras otra; dilo una vez
net-hosts = la red de lab: { $a1 } — enlace: { $a2 }
net-summary = los hosts enviaron { $a1 ->
        [one] { $a1 } paquete
       *[other] { $a1 } paquetes
    }: { $a2 ->
        [one] { $a2 } llegó
       *[other] { $a2 } llegaron
    }, { $a3 ->
        [one] { $a3 } lo descartó el enlace
       *[other] { $a3 } los descartó el enlace
    }, { $a4 ->
        [one] { $a4 } no era para ningún host
       *[other] { $a4 } no eran para ningún host
    }
link-perfect = sin reglas: un enlace perfecto
dropped-partition = partición
dropped-too-big = mayor que la MTU del enlace
dropped-scripted = descartado según el guion
dropped-lost = perdido
dropped-queue-full = cola llena
net-no-userns = lab net no puede crear sus hosts: { $a1 }
net-up = la red de lab está activa: { $a1 } — enlace: { $a2 }. En otra terminal: lab net exec a -- ORDEN, lab net link 'REGLAS', lab sockets --host a. Ctrl+C la desmonta.
fault-shortened = lab acortó este { $a1 }() a { $a2 } de los { $a3 } bytes pedidos ({ $a4 }): TCP siempre puede hacerlo
fault-interrupted = lab interrumpió este { $a1 }() antes de que corriera (--eintr): devuelve EINTR, como cuando llega una señal mientras espera
diagram-left-out = (el diagrama guarda los últimos eventos de una ejecución: { $a1 ->
        [one] falta { $a1 } evento anterior de { $a2 }
       *[other] faltan los { $a1 } eventos anteriores de { $a2 }
    }; la traza los tiene todos)
